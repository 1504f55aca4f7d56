/**
 * The client-credentials seed configurations through the gateway, with
 * oidc-provider as the IdP:
 *  1. client credentials (Basic) with `upstream_headers_claims: [iss]` ->
 *     `upstream_headers_names: [Issuer_Header]`;
 *  2. client credentials sent in a header, the gateway authenticating to the
 *     IdP with `client_auth: [client_secret_post]`.
 * Plus: tokens cached per (token endpoint, client_id, secret hash, scope), a
 * wrong secret never rides on a cached token, credentials in query/body, and the
 * password grant on its own and combined with client_credentials.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plugin, Route } from "../../gateway/contract/entities";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";
import {
  startEchoUpstream,
  startTestGateway,
  testPlugin,
  testRoute,
  testService,
  testSnapshot,
  type EchoRequest,
  type EchoUpstream,
  type TestGateway,
} from "../support/gateway";

const SECRET = "svc-secret-svc-secret-svc-secret-123";
const POST_SECRET = "post-secret-post-secret-post-secret-1";

let idp: TestIdp;
let upstream: EchoUpstream;
let gw: TestGateway;
let tokenRequests = 0;

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(gw.url + path, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers, seen: body as unknown as EchoRequest };
}

beforeAll(async () => {
  const cc = { grant_types: ["client_credentials"], redirect_uris: [], response_types: [] };
  idp = await startTestIdp({
    clients: [
      { client_id: "svc", client_secret: SECRET, ...cc },
      { client_id: "svc-post", client_secret: POST_SECRET, token_endpoint_auth_method: "client_secret_post", ...cc },
      { client_id: "gw", client_secret: SECRET, grant_types: ["password", "refresh_token"], redirect_uris: [], response_types: [] },
    ],
    passwords: { bob: "bobs-password" },
  });
  idp.provider.on("grant.success", () => tokenRequests++);
  upstream = await startEchoUpstream();
  const svc = testService({ name: "echo", host: upstream.host, port: upstream.port });
  const routes: Route[] = [];
  const plugins: Plugin[] = [];
  const add = (path: string, config: Record<string, unknown>) => {
    const r = testRoute({ name: path.slice(1), service: { id: svc.id }, paths: [path] });
    routes.push(r);
    plugins.push(testPlugin({ name: "openid-connect", route: { id: r.id }, config: { issuer: idp.issuer, ...config } }));
  };
  // seed 1
  add("/seed1", { auth_methods: ["client_credentials"], upstream_headers_claims: ["iss"], upstream_headers_names: ["Issuer_Header"] });
  // seed 2
  add("/seed2", { auth_methods: ["client_credentials"], client_credentials_param_type: ["header"], client_auth: ["client_secret_post"] });
  add("/anywhere", { auth_methods: ["client_credentials"], client_credentials_param_type: ["query", "body"], hide_credentials: true });
  add("/pw", { auth_methods: ["password"], client_id: ["gw"], client_secret: [SECRET], scopes: ["openid", "read"], scopes_required: ["read"] });
  add("/refresh", { auth_methods: ["refresh_token"], client_id: ["gw"], client_secret: [SECRET] });
  add("/both", { auth_methods: ["password", "client_credentials"], client_id: ["gw"], client_secret: [SECRET] });
  gw = await startTestGateway({ snapshot: testSnapshot({ services: [svc], routes, plugins }) });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([idp?.close(), upstream?.stop()]);
});

describe("openid-connect client_credentials through the gateway", () => {
  it("seed 1: gets a token for the caller's client and sends its iss upstream as Issuer_Header", async () => {
    const r = await call("/seed1", { headers: { authorization: basic("svc", SECRET) } });
    expect(r.status).toBe(200);
    expect(r.seen.headers["issuer_header"]).toBe(idp.issuer);
    // the caller's secret never reaches the upstream: the IdP's access token replaces it
    const auth = String(r.seen.headers.authorization);
    expect(auth).toMatch(/^Bearer ey/);
    expect(auth).not.toContain(Buffer.from(`svc:${SECRET}`).toString("base64"));
    expect(r.seen.headers["x-credential-identifier"]).toBe("svc");
  });

  it("seed 1: caches the token until it expires, one IdP call for many requests", async () => {
    const before = tokenRequests;
    const all = await Promise.all(Array.from({ length: 20 }, () => call("/seed1", { headers: { authorization: basic("svc", SECRET) } })));
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(new Set(all.map((r) => r.seen.headers.authorization)).size).toBe(1);
    expect(tokenRequests - before).toBe(0); // the first test's token is still cached
  });

  it("seed 1: a wrong secret is refused by the IdP and never gets the cached token", async () => {
    const before = tokenRequests;
    const r = await call("/seed1", { headers: { authorization: basic("svc", "not-the-secret") } });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(r.body.error_description).toMatch(/the IdP refused the credentials: invalid_client/);
    expect(tokenRequests).toBe(before);
    const none = await call("/seed1");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
    expect(none.body.error_description).toMatch(/client credentials/);
  });

  it("seed 2: client credentials in a header, client_secret_post to the IdP", async () => {
    const r = await call("/seed2", { headers: { authorization: basic("svc-post", POST_SECRET) } });
    expect(r.status).toBe(200);
    expect(String(r.seen.headers.authorization)).toMatch(/^Bearer ey/);
    expect(r.seen.headers["x-credential-identifier"]).toBe("svc-post");
    // header only: the same credentials in the query are not looked at
    const q = await call(`/seed2?client_id=svc-post&client_secret=${POST_SECRET}`);
    expect(q.status).toBe(401);
    expect((await call("/seed2", { headers: { authorization: basic("svc-post", "wrong") } })).status).toBe(401);
  });

  it("reads credentials from the query or a form body when configured, and hides them", async () => {
    const q = await call(`/anywhere?client_id=svc&client_secret=${SECRET}&x=1`);
    expect(q.status).toBe(200);
    expect(q.seen.url).not.toContain(SECRET);
    expect(q.seen.url).toContain("x=1");
    const b = await call("/anywhere", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `client_id=svc&client_secret=${SECRET}&keep=1` });
    expect(b.status).toBe(200);
    expect(String(b.seen.headers.authorization)).toMatch(/^Bearer ey/);
    // the credentials are taken out of the body; the rest goes upstream
    expect(b.seen.bodyBytes).toBe("keep=1".length);
    expect(b.seen.bodySha256).toBe(createHash("sha256").update("keep=1").digest("hex"));
    const j = await call("/anywhere", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_id: "svc", client_secret: SECRET, keep: 1 }) });
    expect(j.status).toBe(200);
    expect(j.seen.bodySha256).toBe(createHash("sha256").update('{"keep":1}').digest("hex"));
  });

  it("keeps serving the cached token while the IdP is down; unknown credentials get 401, not 5xx", async () => {
    await idp.stop();
    try {
      expect((await call("/seed1", { headers: { authorization: basic("svc", SECRET) } })).status).toBe(200);
      const r = await call("/seed1", { headers: { authorization: basic("svc", "another-secret") } });
      expect(r.status).toBe(401);
      expect(r.body.error_description).toMatch(/unavailable/);
    } finally {
      await idp.start();
    }
  });

  it("password: the gateway's client exchanges the caller's username and password for a token", async () => {
    const r = await call("/pw", { headers: { authorization: basic("bob", "bobs-password") } });
    expect(r.status).toBe(200);
    expect(r.seen.headers["x-credential-identifier"]).toBe("bob");
    expect(String(r.seen.headers.authorization)).toMatch(/^Bearer ey/);
    const bad = await call("/pw", { headers: { authorization: basic("bob", "guess") } });
    expect(bad.status).toBe(401);
    expect(bad.body.error_description).toMatch(/invalid_grant/);
    // client credentials are not accepted where only password is listed
    expect((await call("/pw", { headers: { authorization: basic("svc", SECRET) } })).status).toBe(401);
    // and password is not tried where it is not listed
    expect((await call("/seed1", { headers: { authorization: basic("bob", "bobs-password") } })).status).toBe(401);
  });

  it("password and client_credentials combined: password first, then client credentials", async () => {
    const pw = await call("/both", { headers: { authorization: basic("bob", "bobs-password") } });
    expect(pw.status).toBe(200);
    expect(pw.seen.headers["x-credential-identifier"]).toBe("bob");
    const cc = await call("/both", { headers: { authorization: basic("svc", SECRET) } });
    expect(cc.status).toBe(200);
    expect(cc.seen.headers["x-credential-identifier"]).toBe("svc");
    const before = tokenRequests;
    await call("/both", { headers: { authorization: basic("svc", SECRET) } });
    expect(tokenRequests).toBe(before);
  });

  it("refresh_token: the gateway's client redeems a refresh token sent in the Refresh-Token header, once while its token lives", async () => {
    const res = await fetch(`${idp.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic("gw", SECRET) },
      body: "grant_type=password&username=bob&password=bobs-password&scope=openid%20offline_access%20read",
    });
    const { refresh_token } = (await res.json()) as { refresh_token: string };
    expect(refresh_token).toBeTruthy();
    const before = tokenRequests;
    const r = await call("/refresh", { headers: { "refresh-token": refresh_token } });
    expect(r.status).toBe(200);
    expect(r.seen.headers["x-credential-identifier"]).toBe("bob");
    expect(r.seen.headers["refresh-token"]).toBeUndefined();
    expect(String(r.seen.headers.authorization)).toMatch(/^Bearer ey/);
    expect(tokenRequests - before).toBe(1);
    expect((await call("/refresh", { headers: { "refresh-token": refresh_token } })).status).toBe(200);
    expect(tokenRequests - before).toBe(1);
    const bad = await call("/refresh", { headers: { "refresh-token": "not-a-refresh-token" } });
    expect(bad.status).toBe(401);
    expect(bad.body.error_description).toMatch(/refused the refresh token: invalid_grant/);
  });
});
