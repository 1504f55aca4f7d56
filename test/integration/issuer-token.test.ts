/**
 * The built-in issuer's plain endpoints against openid-client (a real RP library):
 * discovery, client_credentials with each client authentication method, JWT access
 * tokens per RFC 9068, introspection, revocation into the gateway snapshot's
 * revoked_tokens, and RFC 6749 5.2 errors for bad input (never a 500).
 */
import * as client from "openid-client";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfigVersion } from "../../app/.server/config-version";
import { dbTargets } from "../support/db";
import { startIssuer, type IssuerHarness } from "../support/issuer";

const insecure = { execute: [client.allowInsecureRequests] };

describe.each(dbTargets())("built-in issuer token endpoint on $name", (target) => {
  let h: IssuerHarness;
  let config: client.Configuration;
  let cc: { client_id: string; client_secret?: string };
  let jwks: ReturnType<typeof jose.createLocalJWKSet>;

  const post = (path: string, body: string | URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(`${h.issuer}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: body.toString(),
    });
  const basic = (id: string, secret: string) => ({ authorization: "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64") });

  beforeAll(async () => {
    h = await startIssuer({ target });
    cc = await h.cp.issuer.clients.create({ name: "svc", grant_types: ["client_credentials"], scope: "orders:read orders:write" });
    config = await client.discovery(new URL(h.issuer), cc.client_id, cc.client_secret, undefined, insecure);
    jwks = jose.createLocalJWKSet((await (await fetch(`${h.issuer}/jwks`)).json()) as jose.JSONWebKeySet);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("serves discovery and RFC 8414 metadata built from PUBLIC_URL, never the Host header", async () => {
    const md = config.serverMetadata();
    expect(md.issuer).toBe(h.issuer);
    expect(md.token_endpoint).toBe(`${h.issuer}/token`);
    expect(md.jwks_uri).toBe(`${h.issuer}/jwks`);
    const r = await fetch(`${h.base.replace("localhost", "127.0.0.1")}/.well-known/oauth-authorization-server/oauth2`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body.issuer).toBe(h.issuer);
    expect(body.token_endpoint).toBe(`${h.issuer}/token`);
    expect(body.code_challenge_methods_supported).toEqual(["S256"]);
    const keys = (await (await fetch(`${h.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    // the active key and the next one, published before it signs
    expect(keys.keys).toHaveLength(2);
    expect(keys.keys.every((k) => !("d" in k))).toBe(true);
  });

  it("issues an RFC 9068 access token for client_credentials (client_secret_post)", async () => {
    const t = await client.clientCredentialsGrant(config, { scope: "orders:read" });
    expect(t.token_type.toLowerCase()).toBe("bearer");
    expect(t.expires_in).toBeGreaterThan(800);
    const { payload, protectedHeader } = await jose.jwtVerify(t.access_token, jwks, { issuer: h.issuer, typ: "at+jwt" });
    expect(protectedHeader.alg).toBe("ES256");
    expect(payload).toMatchObject({ sub: cc.client_id, client_id: cc.client_id, application_id: cc.client_id, scope: "orders:read", aud: "http://localhost:18000" });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(typeof payload.jti).toBe("string");
    // no row per client_credentials token
    expect(await h.cp.db.selectFrom("refresh_tokens").select("id").execute()).toHaveLength(0);
  });

  it("authenticates with client_secret_basic and sets Cache-Control: no-store", async () => {
    const basicConfig = new client.Configuration(config.serverMetadata(), cc.client_id, {}, client.ClientSecretBasic(cc.client_secret!));
    client.allowInsecureRequests(basicConfig);
    const t = await client.clientCredentialsGrant(basicConfig);
    const { payload } = await jose.jwtVerify(t.access_token, jwks, { issuer: h.issuer });
    expect(payload.scope).toBe("orders:read orders:write");
    const raw = await post("/token", "grant_type=client_credentials", basic(cc.client_id, cc.client_secret!));
    expect(raw.status).toBe(200);
    expect(raw.headers.get("cache-control")).toBe("no-store");
  });

  it("authenticates with private_key_jwt", async () => {
    const { privateKey, publicKey } = await jose.generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    const pk = await h.cp.issuer.clients.create({ name: "pkjwt", grant_types: ["client_credentials"], token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [jwk] } });
    expect(pk.client_secret).toBeUndefined();
    const pkConfig = new client.Configuration(config.serverMetadata(), pk.client_id, {}, client.PrivateKeyJwt({ key: privateKey, kid: "k1" }));
    client.allowInsecureRequests(pkConfig);
    const t = await client.clientCredentialsGrant(pkConfig);
    const { payload } = await jose.jwtVerify(t.access_token, jwks, { issuer: h.issuer });
    expect(payload.client_id).toBe(pk.client_id);
    // an assertion signed by another key is refused
    const other = await jose.generateKeyPair("ES256");
    const bad = await new jose.SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(pk.client_id).setSubject(pk.client_id).setAudience(`${h.issuer}/token`).setIssuedAt().setExpirationTime("1m")
      .sign(other.privateKey);
    const r = await post("/token", new URLSearchParams({ grant_type: "client_credentials", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: bad }));
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: string }).error).toBe("invalid_client");
  });

  it("uses the RFC 8707 resource as aud when the client may use it, else invalid_target", async () => {
    const ok = await post("/token", new URLSearchParams({ grant_type: "client_credentials", resource: "http://localhost:18000/orders" }), basic(cc.client_id, cc.client_secret!));
    expect(ok.status).toBe(200);
    const { payload } = await jose.jwtVerify(((await ok.json()) as { access_token: string }).access_token, jwks, { issuer: h.issuer });
    expect(payload.aud).toBe("http://localhost:18000/orders");
    const bad = await post("/token", new URLSearchParams({ grant_type: "client_credentials", resource: "https://elsewhere.example/api" }), basic(cc.client_id, cc.client_secret!));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe("invalid_target");
  });

  it("answers bad input with the RFC 6749 5.2 error, never a 500", async () => {
    const cases: [string, Promise<Response>, number, string][] = [
      ["wrong secret (basic)", post("/token", "grant_type=client_credentials", basic(cc.client_id, "wrong")), 401, "invalid_client"],
      ["wrong secret (post)", post("/token", new URLSearchParams({ grant_type: "client_credentials", client_id: cc.client_id, client_secret: "wrong" })), 401, "invalid_client"],
      ["unknown client", post("/token", "grant_type=client_credentials", basic("nobody", "x")), 401, "invalid_client"],
      ["no client", post("/token", "grant_type=client_credentials"), 401, "invalid_client"],
      ["unknown grant", post("/token", "grant_type=urn:example:magic", basic(cc.client_id, cc.client_secret!)), 400, "unsupported_grant_type"],
      ["missing grant", post("/token", "", basic(cc.client_id, cc.client_secret!)), 400, "invalid_request"],
      ["grant not allowed", post("/token", "grant_type=password&username=a&password=b", basic(cc.client_id, cc.client_secret!)), 400, "unauthorized_client"],
      ["scope not allowed", post("/token", "grant_type=client_credentials&scope=admin", basic(cc.client_id, cc.client_secret!)), 400, "invalid_scope"],
      ["repeated parameter", post("/token", "grant_type=client_credentials&scope=a&scope=b", basic(cc.client_id, cc.client_secret!)), 400, "invalid_request"],
      ["two auth methods", post("/token", new URLSearchParams({ grant_type: "client_credentials", client_secret: cc.client_secret! }), basic(cc.client_id, cc.client_secret!)), 400, "invalid_request"],
      ["JSON body", fetch(`${h.issuer}/token`, { method: "POST", headers: { "content-type": "application/json", ...basic(cc.client_id, cc.client_secret!) }, body: "{}" }), 400, "invalid_request"],
      ["malformed basic", post("/token", "grant_type=client_credentials", { authorization: "Basic %%%" }), 401, "invalid_client"],
      ["oversize body", post("/token", "grant_type=client_credentials&pad=" + "x".repeat(100_000), basic(cc.client_id, cc.client_secret!)), 413, "invalid_request"],
      ["malformed percent-encoding", post("/token", "grant_type=%E0%A4%A&scope=%ZZ", basic(cc.client_id, cc.client_secret!)), 400, "unsupported_grant_type"],
      ["refresh token unknown", post("/token", "grant_type=refresh_token&refresh_token=abc", basic(cc.client_id, cc.client_secret!)), 400, "unauthorized_client"],
    ];
    for (const [name, p, status, error] of cases) {
      const r = await p;
      const body = (await r.json()) as { error: string; error_description: string };
      expect({ name, status: r.status, error: body.error }).toEqual({ name, status, error });
      expect(body.error_description).toBeTruthy();
      expect(JSON.stringify(body)).not.toContain(cc.client_secret!);
    }
    const wrongBasic = await post("/token", "grant_type=client_credentials", basic(cc.client_id, "wrong"));
    expect(wrongBasic.headers.get("www-authenticate")).toMatch(/^Basic /);
    const get = await fetch(`${h.issuer}/token`);
    expect(get.status).toBe(405);
  });

  it("introspects (RFC 7662) and revokes (RFC 7009) access tokens; a revoked jti reaches the snapshot table", async () => {
    const t = await client.clientCredentialsGrant(config);
    const active = await client.tokenIntrospection(config, t.access_token);
    expect(active).toMatchObject({ active: true, client_id: cc.client_id, application_id: cc.client_id, iss: h.issuer, token_type: "Bearer" });
    const before = await readConfigVersion(h.cp.db);
    await client.tokenRevocation(config, t.access_token);
    const { payload } = await jose.jwtVerify(t.access_token, jwks);
    const row = await h.cp.db.selectFrom("revoked_tokens").selectAll().where("jti", "=", String(payload.jti)).executeTakeFirst();
    expect(row?.exp.getTime()).toBe(payload.exp! * 1000);
    expect(await readConfigVersion(h.cp.db)).toBe(before + 1);
    expect(await client.tokenIntrospection(config, t.access_token)).toEqual({ active: false });
    // garbage and expired tokens are inactive
    expect(await client.tokenIntrospection(config, "not-a-token")).toEqual({ active: false });
    const expired = await h.cp.issuer.keys.sign({ iss: h.issuer, sub: "x", aud: "y", jti: "j", client_id: "x", iat: 1, exp: 2 }, "at+jwt");
    expect(await client.tokenIntrospection(config, expired)).toEqual({ active: false });
    // introspection needs client authentication
    const anon = await post("/introspect", new URLSearchParams({ token: t.access_token }));
    expect(anon.status).toBe(401);
    // revoking someone else's token does nothing (and says 200)
    const other = await h.cp.issuer.clients.create({ name: "other", grant_types: ["client_credentials"] });
    const t2 = await client.clientCredentialsGrant(config);
    const r = await post("/revoke", new URLSearchParams({ token: t2.access_token }), basic(other.client_id, other.client_secret!));
    expect(r.status).toBe(200);
    expect((await client.tokenIntrospection(config, t2.access_token)).active).toBe(true);
  });

  it("rotates a client secret with a grace period for the old one", async () => {
    const c = await h.cp.issuer.clients.create({ name: "rot", grant_types: ["client_credentials"] });
    const { client_secret } = await h.cp.issuer.clients.rotateSecret(c.client_id, { graceSeconds: 60 });
    expect(client_secret).not.toBe(c.client_secret);
    for (const s of [c.client_secret!, client_secret]) {
      expect((await post("/token", "grant_type=client_credentials", basic(c.client_id, s))).status).toBe(200);
    }
    const again = await h.cp.issuer.clients.rotateSecret(c.client_id, { graceSeconds: 0 });
    expect((await post("/token", "grant_type=client_credentials", basic(c.client_id, client_secret))).status).toBe(401);
    expect((await post("/token", "grant_type=client_credentials", basic(c.client_id, again.client_secret))).status).toBe(200);
    const row = await h.cp.db.selectFrom("oauth_clients").selectAll().where("client_id", "=", c.client_id).executeTakeFirstOrThrow();
    expect(row.client_secret_hash).not.toContain(again.client_secret);
    expect(row.client_secret_hash).toHaveLength(43);
    expect(await h.cp.issuer.clients.delete(c.client_id)).toBe(true);
    expect((await post("/token", "grant_type=client_credentials", basic(c.client_id, again.client_secret))).status).toBe(401);
  });
});

describe("built-in issuer options", () => {
  it("signs with RS256 when selected, names the application claim after the IdP connection, and runs the password grant only when enabled", async () => {
    const h = await startIssuer({ env: { ISSUER_SIGNING_ALG: "RS256", ACCESS_TOKEN_TTL: "300", ISSUER_AUDIENCE: "https://api.example.com" } });
    try {
      await h.cp.db.updateTable("idp_connections").set({ application_claim: "app_ref" }).where("mode", "=", "builtin").execute();
      await h.cp.issuer.reloadSettings();
      const { signUp } = await import("../../app/.server/developers");
      await signUp(h.cp.db, { email: "pw@example.com", password: "password-grant-ok", full_name: "P W" }, { autoApprove: true });
      const withPw = await h.cp.issuer.clients.create({ name: "legacy", grant_types: ["password", "refresh_token"], scope: "read" });
      const noPw = await h.cp.issuer.clients.create({ name: "modern", grant_types: ["client_credentials"] });
      const tok = (c: { client_id: string; client_secret?: string }, body: Record<string, string>) =>
        fetch(`${h.issuer}/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${c.client_id}:${c.client_secret}`).toString("base64") },
          body: new URLSearchParams(body).toString(),
        });
      const r = await tok(withPw, { grant_type: "password", username: "pw@example.com", password: "password-grant-ok", scope: "read" });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { access_token: string; refresh_token: string; expires_in: number };
      expect(body.refresh_token).toBeTruthy();
      expect(body.expires_in).toBeLessThanOrEqual(300);
      const set = jose.createLocalJWKSet((await (await fetch(`${h.issuer}/jwks`)).json()) as jose.JSONWebKeySet);
      const { payload, protectedHeader } = await jose.jwtVerify(body.access_token, set, { issuer: h.issuer, typ: "at+jwt", audience: "https://api.example.com" });
      expect(protectedHeader.alg).toBe("RS256");
      expect(payload.app_ref).toBe(withPw.client_id);
      expect(payload.application_id).toBeUndefined();
      expect(payload.exp! - payload.iat!).toBe(300);
      // revoking a refresh token (RFC 7009) ends it: introspection says inactive, the grant fails
      const rv = await fetch(`${h.issuer}/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${withPw.client_id}:${withPw.client_secret}`).toString("base64") },
        body: new URLSearchParams({ token: body.refresh_token, token_type_hint: "refresh_token" }).toString(),
      });
      expect(rv.status).toBe(200);
      const intro = await fetch(`${h.issuer}/introspect`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${withPw.client_id}:${withPw.client_secret}`).toString("base64") },
        body: new URLSearchParams({ token: body.refresh_token }).toString(),
      });
      expect(await intro.json()).toEqual({ active: false });
      const refreshed = await tok(withPw, { grant_type: "refresh_token", refresh_token: body.refresh_token });
      expect(((await refreshed.json()) as { error: string }).error).toBe("invalid_grant");
      // CORS for browser-based clients
      const pre = await fetch(`${h.issuer}/token`, { method: "OPTIONS", headers: { origin: "https://spa.example", "access-control-request-method": "POST" } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("*");
      const wrong = await tok(withPw, { grant_type: "password", username: "pw@example.com", password: "nope-nope-nope" });
      expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");
      const off = await tok(noPw, { grant_type: "password", username: "pw@example.com", password: "password-grant-ok" });
      expect(off.status).toBe(400);
      expect(((await off.json()) as { error: string }).error).toBe("unauthorized_client");
    } finally {
      await h.stop();
    }
  }, 120_000);

  it("ISSUER_APPLICATION_CLAIM names the claim and is written into the built-in IdP connection", async () => {
    const h = await startIssuer({ env: { ISSUER_APPLICATION_CLAIM: "gh_app" } });
    try {
      const row = await h.cp.db.selectFrom("idp_connections").select("application_claim").where("mode", "=", "builtin").executeTakeFirstOrThrow();
      expect(row.application_claim).toBe("gh_app");
      const c = await h.cp.issuer.clients.create({ grant_types: ["client_credentials"] });
      const r = await fetch(`${h.issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${c.client_id}:${c.client_secret}`).toString("base64") },
        body: "grant_type=client_credentials",
      });
      const claims = jose.decodeJwt(((await r.json()) as { access_token: string }).access_token);
      expect(claims.gh_app).toBe(c.client_id);
    } finally {
      await h.stop();
    }
  }, 120_000);
});
