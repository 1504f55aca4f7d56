/** The oidc-provider fixture itself: a real IdP that relying-party code can use. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as client from "openid-client";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";

describe("oidc-provider test IdP", () => {
  let idp: TestIdp;
  beforeAll(async () => {
    idp = await startTestIdp({
      clients: [{ client_id: "svc", client_secret: "svc-secret-svc-secret-svc-secret-123", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] }],
    });
  });
  afterAll(async () => idp?.close());

  it("issues JWT client_credentials tokens carrying application_id", async () => {
    const config = await client.discovery(new URL(idp.issuer), "svc", "svc-secret-svc-secret-svc-secret-123", undefined, {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.clientCredentialsGrant(config, { scope: "read" });
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe("at+jwt");
    const claims = decodeJwt(tokens.access_token);
    expect(claims.iss).toBe(idp.issuer);
    expect(claims.client_id).toBe("svc");
    expect(claims.application_id).toBe("svc");
    expect(claims.aud).toBe("https://api.gatehouse.test");
  });

  it("registers clients dynamically with the initial access token", async () => {
    const res = await fetch(`${idp.issuer}/reg`, {
      method: "POST",
      headers: { authorization: "Bearer test-initial-access-token", "content-type": "application/json" },
      body: JSON.stringify({ client_name: "dcr", grant_types: ["client_credentials"], response_types: [], redirect_uris: [] }),
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.client_id).toBeTruthy();
    expect(body.registration_access_token).toBeTruthy();
    const bad = await fetch(`${idp.issuer}/reg`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(bad.status).toBe(401);
  });

  it("can go down and come back on the same port", async () => {
    await idp.stop();
    await expect(fetch(`${idp.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
    await idp.start();
    expect((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status).toBe(200);
  });
});
