/** Client metadata rules and secret checks of the built-in issuer (no database). */
import { describe, expect, it } from "vitest";
import { sha256 } from "../../app/.server/crypto";
import { checkSecret, ClientMetadataError, normalizeMetadata, type ClientRecord } from "../../app/.server/issuer/clients";
import { atHash, familyFromCode } from "../../app/.server/issuer/model";

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof ClientMetadataError ? `${e.error}: ${e.message}` : String(e);
  }
  return "no error";
};

describe("client metadata", () => {
  it("defaults to a confidential client_credentials client", () => {
    expect(normalizeMetadata({})).toMatchObject({ grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_basic", response_types: [] });
    expect(normalizeMetadata({ grant_types: ["authorization_code"], redirect_uris: ["https://a.example/cb"] }).response_types).toEqual(["code"]);
  });

  it("refuses what a standards-true server must refuse, naming what to fix", () => {
    expect(err(() => normalizeMetadata({ grant_types: ["implicit"] }))).toMatch(/^invalid_client_metadata: grant_types/);
    expect(err(() => normalizeMetadata({ grant_types: ["authorization_code"] }))).toMatch(/^invalid_redirect_uri: .*at least one/);
    expect(err(() => normalizeMetadata({ grant_types: ["authorization_code"], redirect_uris: ["https://a.example/cb#x"] }))).toMatch(/^invalid_redirect_uri: .*fragment/);
    expect(err(() => normalizeMetadata({ grant_types: ["authorization_code"], redirect_uris: ["/relative"] }))).toMatch(/^invalid_redirect_uri/);
    expect(err(() => normalizeMetadata({ grant_types: ["authorization_code"], redirect_uris: ["javascript:alert(1)"] }))).toMatch(/^invalid_redirect_uri/);
    expect(err(() => normalizeMetadata({ token_endpoint_auth_method: "none" }))).toMatch(/public client/);
    expect(err(() => normalizeMetadata({ token_endpoint_auth_method: "private_key_jwt" }))).toMatch(/jwks/);
    expect(err(() => normalizeMetadata({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [{ kty: "EC", d: "secret" }] } }))).toMatch(/private parts/);
    expect(err(() => normalizeMetadata({ grant_types: ["refresh_token"] }))).toMatch(/refresh_token needs/);
    expect(err(() => normalizeMetadata({ scope: 'a "b"' }))).toMatch(/^invalid_client_metadata: scope/);
    expect(err(() => normalizeMetadata({ token_endpoint_auth_method: "tls_client_auth" as never }))).toMatch(/token_endpoint_auth_method/);
  });
});

describe("client secrets", () => {
  const record = (over: Partial<ClientRecord>): ClientRecord =>
    ({ secretHash: sha256("current"), previousSecretHash: null, previousSecretExpiresAt: null, ...over }) as ClientRecord;

  it("accepts the current secret, and the previous one only inside its grace period", () => {
    expect(checkSecret(record({}), "current")).toBe(true);
    expect(checkSecret(record({}), "Current")).toBe(false);
    const inGrace = record({ previousSecretHash: sha256("old"), previousSecretExpiresAt: new Date(Date.now() + 60_000) });
    expect(checkSecret(inGrace, "old")).toBe(true);
    const after = record({ previousSecretHash: sha256("old"), previousSecretExpiresAt: new Date(Date.now() - 1) });
    expect(checkSecret(after, "old")).toBe(false);
    expect(checkSecret(record({ secretHash: null }), "")).toBe(false);
  });
});

describe("token helpers", () => {
  it("computes at_hash as OIDC Core 3.1.3.6 says", () => {
    // left half of SHA-256, base64url
    expect(atHash("abc")).toBe("ungWv48Bz-pBQUDeXa4iIw");
  });
  it("derives a stable family id per authorization code", () => {
    expect(familyFromCode("x")).toBe(familyFromCode("x"));
    expect(familyFromCode("x")).not.toBe(familyFromCode("y"));
    expect(familyFromCode("x")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
