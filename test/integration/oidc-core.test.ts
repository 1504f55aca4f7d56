/**
 * The openid-connect plugin's protocol core against oidc-provider on loopback:
 * discovery and JWKS caching, rediscovery limits, stale keys while the IdP is
 * down, issuer-bound keys, the JWT attack corpus, introspection caching and
 * single flight, and the token client with every client_auth method.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";
import { buildAttackCorpus, goodClaims } from "../support/jwt-attacks";
import { TrustedIssuer } from "../../gateway/plugins/openid-connect/discovery";
import { checkTimeClaims, verifyJwt } from "../../gateway/plugins/openid-connect/verify";
import { checkRequired } from "../../gateway/plugins/openid-connect/authorize";
import { OidcError } from "../../gateway/plugins/openid-connect/errors";
import { Introspector } from "../../gateway/plugins/openid-connect/introspection";
import { TokenClient, TokenEndpointError } from "../../gateway/plugins/openid-connect/token-client";
import type { ClientAuth } from "../../gateway/plugins/openid-connect/client-auth";

const SECRET = "svc-secret-svc-secret-svc-secret-123";
const POST_SECRET = "post-secret-post-secret-post-secret-1";

describe("openid-connect protocol core", () => {
  let idp: TestIdp;
  let idp2: TestIdp;
  let opaque: TestIdp;
  let jwtClientKey: CryptoKey;
  let tokenClient: TokenClient;
  let token: string;

  beforeAll(async () => {
    const kp = await generateKeyPair("ES256", { extractable: true });
    jwtClientKey = kp.privateKey;
    const pub = { ...(await exportJWK(kp.publicKey)), kid: "client-key-1", alg: "ES256", use: "sig" };
    const cc = { grant_types: ["client_credentials"], redirect_uris: [], response_types: [] };
    idp = await startTestIdp({
      clients: [
        { client_id: "svc", client_secret: SECRET, ...cc },
        { client_id: "svc-post", client_secret: POST_SECRET, token_endpoint_auth_method: "client_secret_post", ...cc },
        { client_id: "svc-jwt", token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_signing_alg: "ES256", jwks: { keys: [pub] }, ...cc },
      ],
    });
    idp2 = await startTestIdp({ clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] });
    opaque = await startTestIdp({ accessTokenFormat: "opaque", clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] });
    tokenClient = new TokenClient();
    token = (await tokenClient.request(`${idp.issuer}/token`, { grant_type: "client_credentials", scope: "read" }, { method: "client_secret_basic", client_id: "svc", client_secret: SECRET })).access_token;
  });
  afterAll(async () => {
    await Promise.all([idp?.close(), idp2?.close(), opaque?.close()]);
  });

  const basic = (client_id = "svc", client_secret = SECRET): ClientAuth => ({ method: "client_secret_basic", client_id, client_secret });

  it("discovers from an issuer base or a discovery URL, once, and verifies the IdP's JWT access tokens", async () => {
    for (const source of [idp.issuer, `${idp.issuer}/.well-known/openid-configuration`]) {
      const t = new TrustedIssuer({ source: { discovery: source } });
      for (let i = 0; i < 3; i++) {
        const v = await verifyJwt(token, { issuers: [t] });
        expect(v.issuer).toBe(idp.issuer);
        expect(v.claims.client_id).toBe("svc");
      }
      expect(t.fetches).toBe(1);
      expect((await t.metadata()).token_endpoint).toBe(`${idp.issuer}/token`);
    }
  });

  it("refuses a discovery document that names another issuer", async () => {
    const t = new TrustedIssuer({ source: { discovery: `${idp.issuer}/wrong-base` } });
    await expect(t.metadata()).rejects.toThrow();
  });

  it("refuses every case of the JWT attack corpus with 401", async () => {
    const issuer = new TrustedIssuer({ source: { discovery: idp.issuer } });
    const corpus = await buildAttackCorpus(idp, token);
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    const accepted: string[] = [];
    for (const c of corpus) {
      try {
        const v = await verifyJwt(c.token, { issuers: [issuer] });
        checkTimeClaims(v.claims, { leeway: 0, nowSeconds: Math.floor(Date.now() / 1000) });
        checkRequired(v.claims, { audience_required: ["https://api.gatehouse.test"] });
        accepted.push(c.name);
      } catch (e) {
        expect(e, c.name).toBeInstanceOf(OidcError);
        expect((e as OidcError).status, c.name).toBe(401);
        expect((e as OidcError).code, c.name).toBe("invalid_token");
      }
    }
    expect(accepted).toEqual([]);
    // the same IdP's properly signed token still passes through the same checks
    const ok = await verifyJwt(await idp.sign(goodClaims(idp)), { issuers: [issuer] });
    checkRequired(ok.claims, { audience_required: ["https://api.gatehouse.test"] });
  });

  it("binds keys to their issuer: a kid of issuer A never verifies a token whose iss is A but was signed by B", async () => {
    const a = new TrustedIssuer({ source: { discovery: idp.issuer } });
    const b = new TrustedIssuer({ source: { discovery: idp2.issuer } });
    // both fixtures publish kid es-1, with different keys
    const forged = await idp2.sign(goodClaims(idp));
    await expect(verifyJwt(forged, { issuers: [a, b] })).rejects.toThrow(/signature does not verify/);
    const fromB = await idp2.sign(goodClaims(idp2));
    expect((await verifyJwt(fromB, { issuers: [a, b] })).issuer).toBe(idp2.issuer);
    await expect(verifyJwt(fromB, { issuers: [a] })).rejects.toThrow(/not trusted/);
  });

  it("rediscovers on an unknown kid at most once per 30 s", async () => {
    let now = Date.now();
    const t = new TrustedIssuer({ source: { discovery: idp.issuer }, now: () => now });
    await verifyJwt(token, { issuers: [t] });
    expect(t.fetches).toBe(1);
    const unknown = await idp.sign(goodClaims(idp), { kid: "rotated-later" });
    for (let i = 0; i < 5; i++) await expect(verifyJwt(unknown, { issuers: [t] })).rejects.toThrow(/no key of issuer .* has kid/);
    expect(t.fetches).toBe(1);
    now += 30_000;
    await expect(verifyJwt(unknown, { issuers: [t] })).rejects.toThrow(/kid/);
    expect(t.fetches).toBe(2);
    await expect(verifyJwt(unknown, { issuers: [t] })).rejects.toThrow(/kid/);
    expect(t.fetches).toBe(2);
  });

  it("keeps verifying with cached keys while the IdP is down", async () => {
    let now = Date.now();
    const t = new TrustedIssuer({ source: { discovery: idp.issuer }, now: () => now });
    await verifyJwt(token, { issuers: [t] });
    await idp.stop();
    try {
      now += 60_000;
      const unknown = await idp.sign(goodClaims(idp), { kid: "rotated-later" });
      await expect(verifyJwt(unknown, { issuers: [t] })).rejects.toThrow(/kid/); // rediscovery fails quietly
      expect((await verifyJwt(token, { issuers: [t] })).claims.client_id).toBe("svc");
      const fresh = new TrustedIssuer({ source: { discovery: idp.issuer }, now: () => now });
      await expect(verifyJwt(token, { issuers: [fresh] })).rejects.toThrow(/could not be loaded/);
      // while the first load fails it is retried at most every 5 s
      await expect(verifyJwt(token, { issuers: [fresh] })).rejects.toThrow(/could not be loaded/);
      expect(fresh.fetches).toBe(1);
      await idp.start();
      await expect(verifyJwt(token, { issuers: [fresh] })).rejects.toThrow(/could not be loaded/);
      expect(fresh.fetches).toBe(1);
      now += 5_000;
      expect((await verifyJwt(token, { issuers: [fresh] })).issuer).toBe(idp.issuer);
      expect(fresh.fetches).toBe(2);
      await idp.stop();
    } finally {
      await idp.start();
    }
  });

  it("verifies RS256 and PS256 with an RSA key published without alg; never with a symmetric key", async () => {
    const { privateKey, publicKey } = await generateKeyPair("PS256", { extractable: true });
    const pub = { ...(await exportJWK(publicKey)), kid: "rsa-noalg" };
    const hmac = { kty: "oct", k: Buffer.from("a-shared-secret-of-32-bytes-long").toString("base64url"), kid: "hmac" };
    const t = new TrustedIssuer({ source: { issuer: "https://rsa.example", jwks: { keys: [pub, hmac] } } });
    const privateJwk = await exportJWK(privateKey);
    const claims = { iss: "https://rsa.example", sub: "x", exp: Math.floor(Date.now() / 1000) + 60 };
    for (const alg of ["RS256", "PS256", "PS384"]) {
      const tok = await new SignJWT(claims).setProtectedHeader({ alg, kid: "rsa-noalg" }).sign(await importJWK(privateJwk, alg));
      expect((await verifyJwt(tok, { issuers: [t] })).claims.sub, alg).toBe("x");
    }
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "hmac" }).sign(Buffer.from("a-shared-secret-of-32-bytes-long"));
    await expect(verifyJwt(hs, { issuers: [t] })).rejects.toThrow(/HS256 is not accepted/);
  });

  it("requires typ at+jwt from the built-in issuer (keys from the snapshot, no network)", async () => {
    const builtin = new TrustedIssuer({ source: { issuer: idp.issuer, jwks: idp.publicJwks } });
    const opts = { issuers: [builtin], builtinIssuer: idp.issuer };
    expect((await verifyJwt(await idp.sign(goodClaims(idp)), opts)).claims.sub).toBe("attacker");
    await expect(verifyJwt(await idp.sign(goodClaims(idp), { typ: "JWT" }), opts)).rejects.toThrow(/typ at\+jwt/);
    await expect(verifyJwt(await idp.sign(goodClaims(idp), { typ: undefined }), opts)).rejects.toThrow(/typ at\+jwt/);
    expect(builtin.fetches).toBe(0);
  });

  it("introspects opaque tokens with caching, single flight and a short negative cache", async () => {
    const tok = (await tokenClient.request(`${opaque.issuer}/token`, { grant_type: "client_credentials", scope: "read" }, basic())).access_token;
    expect(tok.split(".").length).toBe(1);
    const intro = new Introspector();
    const o = { endpoint: `${opaque.issuer}/token/introspection`, auth: basic(), cacheTtl: 60 };
    const all = await Promise.all(Array.from({ length: 10 }, () => intro.introspect(tok, o)));
    expect(all.every((c) => c.active === true && c.client_id === "svc")).toBe(true);
    expect(intro.requests).toBe(1);
    await intro.introspect(tok, o);
    expect(intro.requests).toBe(1);
    await expect(intro.introspect("not-a-real-token", o)).rejects.toThrow(/not active/);
    await expect(intro.introspect("not-a-real-token", o)).rejects.toThrow(/not active/);
    expect(intro.requests).toBe(2);
    await expect(intro.introspect(tok, { ...o, auth: basic("svc", "wrong-secret") })).rejects.toThrow(/introspection endpoint answered 401/);
    // cache_introspection off: every call asks
    await intro.introspect(tok, { ...o, cacheTtl: 0 });
    await intro.introspect(tok, { ...o, cacheTtl: 0 });
    expect(intro.requests).toBe(5);
  });

  it("gets client_credentials tokens with client_secret_basic, client_secret_post and private_key_jwt", async () => {
    const endpoint = `${idp.issuer}/token`;
    const tc = new TokenClient();
    const viaPost = await tc.request(endpoint, { grant_type: "client_credentials" }, { method: "client_secret_post", client_id: "svc-post", client_secret: POST_SECRET });
    expect(viaPost.access_token).toBeTruthy();
    await expect(tc.request(endpoint, { grant_type: "client_credentials" }, { method: "client_secret_post", client_id: "svc-post", client_secret: "wrong" })).rejects.toThrow(TokenEndpointError);
    const jwk = await exportJWK(jwtClientKey);
    const viaJwt = await tc.request(endpoint, { grant_type: "client_credentials" }, { method: "private_key_jwt", client_id: "svc-jwt", jwk: { ...jwk, kid: "client-key-1" }, alg: "ES256", audience: idp.issuer });
    expect(viaJwt.access_token).toBeTruthy();
  });

  it("caches client_credentials tokens by (endpoint, client_id, hash of the secret, scope): a wrong secret never gets one", async () => {
    const endpoint = `${idp.issuer}/token`;
    const tc = new TokenClient();
    const first = await Promise.all(Array.from({ length: 5 }, () => tc.cachedGrant(endpoint, { grant_type: "client_credentials", scope: "read" }, basic(), SECRET)));
    expect(new Set(first.map((r) => r.access_token)).size).toBe(1);
    expect(tc.requests).toBe(1);
    await tc.cachedGrant(endpoint, { grant_type: "client_credentials", scope: "read" }, basic(), SECRET);
    expect(tc.requests).toBe(1);
    const other = await tc.cachedGrant(endpoint, { grant_type: "client_credentials", scope: "write" }, basic(), SECRET);
    expect(other.access_token).not.toBe(first[0].access_token);
    expect(tc.requests).toBe(2);
    const wrong = tc.cachedGrant(endpoint, { grant_type: "client_credentials", scope: "read" }, basic("svc", "wrong-secret"), "wrong-secret");
    await expect(wrong).rejects.toMatchObject({ error: "invalid_client", rejected: true });
    expect(tc.requests).toBe(3);
    // the refusal is remembered briefly for the same wrong secret only
    await expect(tc.cachedGrant(endpoint, { grant_type: "client_credentials", scope: "read" }, basic("svc", "wrong-secret"), "wrong-secret")).rejects.toMatchObject({ error: "invalid_client" });
    expect(tc.requests).toBe(3);
    expect((await tc.cachedGrant(endpoint, { grant_type: "client_credentials", scope: "read" }, basic(), SECRET)).access_token).toBe(first[0].access_token);
  });
});
