/**
 * openid-connect through the gateway, with oidc-provider on loopback as the IdP:
 * bearer JWTs (the attack corpus, the IdP stopped mid-test), authorization
 * (scopes, audience), consumers, upstream headers, hide_credentials, anonymous,
 * introspection, and the built-in issuer's rules (keys from the snapshot,
 * typ at+jwt, revoked jti).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { Consumer, Plugin, Route, Service } from "../../gateway/contract/entities";
import { buildAttackCorpus, goodClaims } from "../support/jwt-attacks";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";
import {
  startEchoUpstream,
  startTestGateway,
  testConsumer,
  testPlugin,
  testRoute,
  testService,
  testSnapshot,
  type EchoRequest,
  type EchoUpstream,
  type TestGateway,
} from "../support/gateway";

const SECRET = "svc-secret-svc-secret-svc-secret-123";
const AUD = "https://api.gatehouse.test";
const BUILTIN = "https://portal.gatehouse.test/oauth2";

let idp: TestIdp;
let opaque: TestIdp;
let upstream: EchoUpstream;
let gw: TestGateway;
let token: string;
let opaqueToken: string;
const consumers: Record<string, Consumer> = {};
let jwksServer: http.Server;
let extraKey: CryptoKey;

async function call(path: string, init: RequestInit & { bearer?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.bearer !== undefined) headers.set("authorization", `Bearer ${init.bearer}`);
  const res = await fetch(gw.url + path, { ...init, headers });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers, seen: body as unknown as EchoRequest };
}

async function clientCredentialsToken(issuer: string, scope = "read", clientId = "svc"): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "client_credentials", scope }),
  });
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

beforeAll(async () => {
  const cc = { grant_types: ["client_credentials"], redirect_uris: [], response_types: [] };
  idp = await startTestIdp({
    clients: [
      { client_id: "svc", client_secret: SECRET, ...cc },
      { client_id: "other", client_secret: SECRET, ...cc },
    ],
    extraTokenClaims: (clientId) => ({ application_id: clientId, groups: clientId === "svc" ? ["partners", "beta"] : [] }),
  });
  opaque = await startTestIdp({ accessTokenFormat: "opaque", clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] });
  upstream = await startEchoUpstream();
  token = await clientCredentialsToken(idp.issuer);
  opaqueToken = await clientCredentialsToken(opaque.issuer);

  // a JWKS published outside the IdP's discovery document (extra_jwks_uris)
  const kp = await generateKeyPair("ES256", { extractable: true });
  extraKey = kp.privateKey;
  const extraJwks = JSON.stringify({ keys: [{ ...(await exportJWK(kp.publicKey)), kid: "extra-1", alg: "ES256", use: "sig" }] });
  jwksServer = http.createServer((_req, res) => res.end(extraJwks));
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
  const extraUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

  const svc: Service = testService({ name: "echo", host: upstream.host, port: upstream.port });
  consumers.svc = testConsumer({ username: "svc-user", custom_id: "svc" });
  consumers.anon = testConsumer({ username: "anonymous" });
  consumers.bob = testConsumer({ username: "bob" });
  const routes: Route[] = [];
  const plugins: Plugin[] = [];
  const add = (path: string, config: Record<string, unknown>) => {
    const r = testRoute({ name: path.slice(1), service: { id: svc.id }, paths: [path] });
    routes.push(r);
    plugins.push(testPlugin({ name: "openid-connect", route: { id: r.id }, config: { issuer: idp.issuer, ...config } }));
  };
  add("/jwt", {
    auth_methods: ["bearer"],
    audience_required: [AUD],
    consumer_claim: ["client_id"],
    consumer_by: ["custom_id"],
    upstream_headers_claims: ["sub", "groups"],
    upstream_headers_names: ["X-Sub", "X-Groups"],
    authenticated_groups_claim: ["groups"],
  });
  add("/scoped", { auth_methods: ["bearer"], scopes_required: ["read write", "admin"] });
  add("/read", { auth_methods: ["bearer"], scopes_required: ["read"] });
  add("/anon", { auth_methods: ["bearer"], anonymous: consumers.anon.id });
  add("/hidden", { auth_methods: ["bearer"], hide_credentials: true, upstream_access_token_header: "" });
  add("/introspect", { issuer: opaque.issuer, auth_methods: ["introspection"], client_id: ["svc"], client_secret: [SECRET], credential_claim: ["client_id"] });
  add("/builtin", { issuer: BUILTIN, auth_methods: ["bearer"] });
  add("/all", { client_id: ["svc"], client_secret: [SECRET], redirect_uri: ["http://gateway.test/all/cb"], logout_uri_suffix: "/logout" });
  add("/groups", { auth_methods: ["bearer"], authenticated_groups_claim: ["groups"] });
  plugins.push(testPlugin({ name: "acl", route: { id: routes[routes.length - 1].id }, config: { allow: ["partners"], deny: null, hide_groups_header: false, always_use_authenticated_groups: false } }));
  add("/extra", { auth_methods: ["bearer"], extra_jwks_uris: [extraUri] });
  add("/byname", { auth_methods: ["bearer"], consumer_claim: ["sub"], consumer_by: ["id", "username"] });
  add("/optional", { auth_methods: ["bearer"], consumer_claim: ["sub"], consumer_by: ["username"], consumer_optional: true });
  add("/both", { issuer: BUILTIN, issuers_allowed: [idp.issuer], auth_methods: ["bearer"] });

  gw = await startTestGateway({
    snapshot: testSnapshot({
      services: [svc],
      routes,
      plugins,
      consumers: Object.values(consumers),
      builtin_issuer: { issuer: BUILTIN, jwks: idp.publicJwks },
      revoked_tokens: [{ jti: "revoked-jti", exp: Math.floor(Date.now() / 1000) + 3600 }],
    }),
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([idp?.close(), opaque?.close(), upstream?.stop()]);
  await new Promise((r) => jwksServer?.close(r));
});

describe("openid-connect bearer through the gateway", () => {
  it("proxies a valid JWT with the consumer, credential, groups and claim headers", async () => {
    const r = await call("/jwt", { bearer: token });
    expect(r.status).toBe(200);
    const h = r.seen.headers;
    expect(h["x-consumer-id"]).toBe(consumers.svc.id);
    expect(h["x-consumer-custom-id"]).toBe("svc");
    expect(h["x-credential-identifier"]).toBe("svc");
    expect(h["x-sub"]).toBe("svc");
    expect(h["x-groups"]).toBe("partners, beta");
    expect(h["x-authenticated-groups"]).toBe("partners, beta");
    expect(h.authorization).toBe(`Bearer ${token}`);
  });

  it("answers 401 with RFC 6750 headers: no token, and a token from a client with no consumer is 403", async () => {
    const none = await call("/jwt");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer realm="gatehouse"/);
    const otherToken = await clientCredentialsToken(idp.issuer, "read", "other");
    const unmapped = await call("/jwt", { bearer: otherToken });
    expect(unmapped.status).toBe(403);
    expect(unmapped.body.error_description).toMatch(/no consumer matches the token's client_id claim/);
  });

  it("refuses every case of the JWT attack corpus with 401 invalid_token and never a 5xx", async () => {
    const corpus = await buildAttackCorpus(idp, token);
    expect(corpus.length).toBeGreaterThanOrEqual(25);
    const wrong: string[] = [];
    for (const c of corpus) {
      // a 1 MB token cannot travel in a header (the server's header limit answers 431); the body carries it to the plugin
      const r =
        c.token.length > 8000
          ? await call("/jwt", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `access_token=${c.token}` })
          : await call("/jwt", { bearer: c.token });
      const challenge = r.headers.get("www-authenticate") ?? "";
      if (r.status !== 401 || !challenge.includes('error="invalid_token"') || !/error_description="[^"]+"/.test(challenge)) wrong.push(`${c.name}: ${r.status} ${challenge}`);
    }
    expect(wrong).toEqual([]);
    expect(upstream.seen.some((s) => s.headers["x-sub"] === "attacker")).toBe(false);
  });

  it("checks scopes on every request: entries OR, words AND; 403 insufficient_scope", async () => {
    expect((await call("/read", { bearer: token })).status).toBe(200);
    const r = await call("/scoped", { bearer: token });
    expect(r.status).toBe(403);
    expect(r.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    const rw = await clientCredentialsToken(idp.issuer, "read write");
    expect((await call("/scoped", { bearer: rw })).status).toBe(200);
  });

  it("falls back to the anonymous consumer", async () => {
    const r = await call("/anon");
    expect(r.status).toBe(200);
    expect(r.seen.headers["x-anonymous-consumer"]).toBe("true");
    expect(r.seen.headers["x-consumer-username"]).toBe("anonymous");
    const bad = await call("/anon", { bearer: "garbage" });
    expect(bad.status).toBe(200);
    expect(bad.seen.headers["x-anonymous-consumer"]).toBe("true");
    const ok = await call("/anon", { bearer: token });
    expect(ok.seen.headers["x-anonymous-consumer"]).toBeUndefined();
  });

  it("hide_credentials keeps the token from the upstream", async () => {
    const r = await call("/hidden", { bearer: token });
    expect(r.status).toBe(200);
    expect(r.seen.headers.authorization).toBeUndefined();
    const q = await call(`/hidden?x=1&access_token=${token}`);
    expect(q.status).toBe(200);
    expect(q.seen.url).toBe("/?x=1");
    const b = await call("/hidden", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `access_token=${token}&a=b` });
    expect(b.status).toBe(200);
    expect(b.seen.bodyBytes).toBe("a=b".length);
  });

  it("introspects opaque tokens (RFC 7662) and caches the answer", async () => {
    const r1 = await call("/introspect", { bearer: opaqueToken });
    expect(r1.status).toBe(200);
    expect(r1.seen.headers["x-credential-identifier"]).toBe("svc");
    await opaque.stop();
    try {
      // cached: the IdP is not asked again
      expect((await call("/introspect", { bearer: opaqueToken })).status).toBe(200);
      const unknown = await call("/introspect", { bearer: "an-opaque-token-the-idp-never-issued" });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error_description).toMatch(/unreachable/);
    } finally {
      await opaque.start();
    }
    const inactive = await call("/introspect", { bearer: "an-opaque-token-the-idp-never-issued" });
    expect(inactive.status).toBe(401);
    expect(inactive.body.error_description).toMatch(/not active/);
  });

  it("built-in issuer: keys from the snapshot, typ at+jwt required, revoked jti refused, issuers bound", async () => {
    const ok = await idp.sign(goodClaims(idp, { iss: BUILTIN, jti: "ok-jti" }));
    expect((await call("/builtin", { bearer: ok })).status).toBe(200);
    const idToken = await idp.sign(goodClaims(idp, { iss: BUILTIN, nonce: "n" }), { typ: "JWT" });
    const r = await call("/builtin", { bearer: idToken });
    expect(r.status).toBe(401);
    expect(r.body.error_description).toMatch(/typ at\+jwt/);
    const revoked = await idp.sign(goodClaims(idp, { iss: BUILTIN, jti: "revoked-jti" }));
    const rv = await call("/builtin", { bearer: revoked });
    expect(rv.status).toBe(401);
    expect(rv.body.error_description).toMatch(/revoked/);
    // the external IdP's token is not trusted by /builtin, but is by /both (issuers_allowed)
    expect((await call("/builtin", { bearer: token })).status).toBe(401);
    expect((await call("/both", { bearer: token })).status).toBe(200);
    expect((await call("/both", { bearer: ok })).status).toBe(200);
  });

  it("keeps validating cached and new JWTs with cached keys while the IdP is stopped", async () => {
    expect((await call("/jwt", { bearer: token })).status).toBe(200);
    const fresh = await clientCredentialsToken(idp.issuer);
    await idp.stop();
    try {
      for (let i = 0; i < 3; i++) expect((await call("/jwt", { bearer: token })).status).toBe(200);
      // never seen before, signed with a key already cached
      expect((await call("/jwt", { bearer: fresh })).status).toBe(200);
      // an unknown kid while the IdP is down: 401, not 5xx
      const unknownKid = await idp.sign(goodClaims(idp), { kid: "next-key" });
      const r = await call("/jwt", { bearer: unknownKid });
      expect(r.status).toBe(401);
    } finally {
      await idp.start();
    }
    expect((await call("/jwt", { bearer: token })).status).toBe(200);
  });

  it("extra_jwks_uris: keys published outside discovery verify the issuer's tokens, only where configured", async () => {
    const t = await new SignJWT(goodClaims(idp)).setProtectedHeader({ alg: "ES256", kid: "extra-1", typ: "at+jwt" }).sign(extraKey);
    expect((await call("/extra", { bearer: t })).status).toBe(200);
    expect((await call("/extra", { bearer: token })).status).toBe(200);
    expect((await call("/jwt", { bearer: t })).status).toBe(401);
    // bound to the main issuer: another iss signed with the extra key is not trusted
    const other = await new SignJWT(goodClaims(idp, { iss: "https://elsewhere.example" })).setProtectedHeader({ alg: "ES256", kid: "extra-1", typ: "at+jwt" }).sign(extraKey);
    expect((await call("/extra", { bearer: other })).status).toBe(401);
  });

  it("consumer_by tries id then username; consumer_optional lets unmatched tokens through without a consumer", async () => {
    const bob = await idp.sign(goodClaims(idp, { sub: "bob" }));
    const r = await call("/byname", { bearer: bob });
    expect(r.status).toBe(200);
    expect(r.seen.headers["x-consumer-username"]).toBe("bob");
    expect(r.seen.headers["x-consumer-id"]).toBe(consumers.bob.id);
    const byId = await call("/byname", { bearer: await idp.sign(goodClaims(idp, { sub: consumers.anon.id })) });
    expect(byId.seen.headers["x-consumer-username"]).toBe("anonymous");
    const nobody = await idp.sign(goodClaims(idp, { sub: "nobody" }));
    expect((await call("/byname", { bearer: nobody })).status).toBe(403);
    const opt = await call("/optional", { bearer: nobody });
    expect(opt.status).toBe(200);
    expect(opt.seen.headers["x-consumer-id"]).toBeUndefined();
    expect(opt.seen.headers["x-credential-identifier"]).toBe("nobody");
  });

  it("answers bad input on a route with every auth method with 4xx or a redirect, never 5xx", async () => {
    const garbage = "x".repeat(7000);
    const cases: [string, RequestInit][] = [
      ["/all", { headers: { authorization: "Basic !!!" } }],
      ["/all", { headers: { authorization: `Basic ${Buffer.from("no-colon").toString("base64")}` } }],
      ["/all", { headers: { authorization: "Basic " } }],
      ["/all", { headers: { authorization: "Bearer" } }],
      ["/all", { headers: { authorization: "Bearer a.b.c" } }],
      ["/all", { headers: { authorization: "Bearer ....." } }],
      ["/all", { headers: { cookie: "session=garbage; session_2=more; authorization=zzz" } }],
      ["/all", { headers: { cookie: `session=${garbage}` } }],
      ["/all/cb?state=x&code=y", {}],
      ["/all/cb?state=x&code=y", { headers: { cookie: "authorization=not-sealed" } }],
      ["/all/cb?state=x&error=access_denied&error_description=%00%ff", {}],
      ["/all?access_token=%zz%", {}],
      ["/all?client_id=svc&client_secret=", {}],
      ["/all", { method: "POST", headers: { "content-type": "application/json" }, body: "{" }],
      ["/all", { method: "POST", headers: { "content-type": "application/json" }, body: '{"access_token": {"a": 1}}' }],
      ["/all", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "access_token=&client_id=%" }],
      ["/all/logout", { method: "POST", headers: { cookie: "session=garbage" } }],
      ["/all/logout", { method: "DELETE" }],
      ["/all", { method: "PUT", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `access_token=${garbage}` }],
    ];
    const bad: string[] = [];
    for (const [path, init] of cases) {
      const r = await fetch(gw.url + path, { ...init, redirect: "manual" });
      await r.arrayBuffer();
      if (r.status >= 500 || r.status === 200) bad.push(`${init.method ?? "GET"} ${path} ${JSON.stringify(init.headers ?? {}).slice(0, 80)}: ${r.status}`);
    }
    expect(bad).toEqual([
      // logout answers 200 when there is no session and no logout_redirect_uri
      'POST /all/logout {"cookie":"session=garbage"}: 200',
      "DELETE /all/logout {}: 200",
    ]);
  });

  it("authenticated_groups_claim feeds the acl plugin", async () => {
    const r = await call("/groups", { bearer: token });
    expect(r.status).toBe(200);
    expect(r.seen.headers["x-consumer-groups"]).toBe("partners, beta");
    const other = await clientCredentialsToken(idp.issuer, "read", "other");
    const denied = await call("/groups", { bearer: other });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe("You cannot consume this service");
  });
});
