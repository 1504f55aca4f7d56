/**
 * Seed 3: the authorization code flow through the gateway, driven by Chromium
 * through oidc-provider's login and consent pages and back, with
 * `scopes_claim: [scp]` (array claim, as Okta's), `consumer_by: [custom_id]` +
 * `consumer_claim: [sub]`. Then: session reuse without the IdP, an expired
 * access token refreshed from the session, logout, and lockout once the session
 * expires.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium, screenshotPath } from "../support/browser";
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

const WEB_SECRET = "web-secret-web-secret-web-secret-12345";
const ACCESS_TTL = 5;
const ABSOLUTE = 16;
const IDLE = 3;

let idp: TestIdp;
let upstream: EchoUpstream;
let gw: TestGateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const grants: string[] = [];
const alice = testConsumer({ username: "alice-user", custom_id: "alice" });

const echoed = async (p: Page): Promise<EchoRequest> => JSON.parse((await p.locator("body").textContent()) ?? "{}") as EchoRequest;

beforeAll(async () => {
  [upstream, browser] = await Promise.all([startEchoUpstream(), launchChromium()]);
  // the gateway first: the IdP's client needs the gateway's callback URL
  gw = await startTestGateway({ snapshot: testSnapshot({ version: 1 }) });
  const redirect = `${gw.url}/app/callback`;
  idp = await startTestIdp({
    accessTokenTtl: ACCESS_TTL,
    clients: [
      {
        client_id: "web",
        client_secret: WEB_SECRET,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        redirect_uris: [redirect, `${gw.url}/idle/callback`],
        post_logout_redirect_uris: [`${gw.url}/bye`],
      },
    ],
    extraTokenClaims: (_client, _account, scope) => ({ scp: (scope ?? "").split(" ").filter(Boolean) }),
  });
  idp.provider.on("grant.success", (ctx: { oidc: { params: { grant_type: string } } }) => grants.push(ctx.oidc.params.grant_type));
  const svc = testService({ name: "echo", host: upstream.host, port: upstream.port });
  const app = testRoute({ name: "app", service: { id: svc.id }, paths: ["/app"] });
  const admin = testRoute({ name: "admin", service: { id: svc.id }, paths: ["/admin-area"] });
  const bye = testRoute({ name: "bye", service: { id: svc.id }, paths: ["/bye"] });
  const idle = testRoute({ name: "idle", service: { id: svc.id }, paths: ["/idle"] });
  const config = {
    issuer: idp.issuer,
    client_id: ["web"],
    client_secret: [WEB_SECRET],
    auth_methods: ["authorization_code", "session", "refresh_token"],
    redirect_uri: [redirect],
    scopes: ["openid", "offline_access", "read"],
    scopes_claim: ["scp"],
    scopes_required: ["read"],
    consumer_claim: ["sub"],
    consumer_by: ["custom_id"],
    upstream_id_token_header: "x-id-token",
    session_absolute_timeout: ABSOLUTE,
    logout_uri_suffix: "/logout",
    logout_methods: ["POST"],
    logout_redirect_uri: [`${gw.url}/bye`],
  };
  await gw.dp.apply(
    testSnapshot({
      version: 2,
      services: [svc],
      routes: [app, admin, bye, idle],
      consumers: [alice],
      plugins: [
        testPlugin({ name: "openid-connect", route: { id: app.id }, config }),
        testPlugin({ name: "openid-connect", route: { id: admin.id }, config: { ...config, scopes_required: ["admin"] } }),
        testPlugin({
          name: "openid-connect",
          route: { id: idle.id },
          config: {
            ...config,
            redirect_uri: [`${gw.url}/idle/callback`],
            session_cookie_name: "idle_session",
            session_idling_timeout: IDLE,
            session_absolute_timeout: 3600,
          },
        }),
      ],
    }),
  );
  context = await browser.newContext();
  // the IdP's dev pages import a web font; nothing leaves loopback
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (r) => r.abort());
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gw?.stop();
  await Promise.all([idp?.close(), upstream?.stop()]);
});

async function sessionCookieHeader(): Promise<string> {
  const cookies = await context.cookies(gw.url);
  return cookies
    .filter((c) => c.name.startsWith("session"))
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
}

describe("seed 3: authorization code in Chromium through the gateway", () => {
  let loginAt = 0;

  it("redirects to the IdP with state, nonce and PKCE S256, logs in, and comes back to the first URL", async () => {
    const first = await fetch(`${gw.url}/app/hello?x=1`, { redirect: "manual" });
    expect(first.status).toBe(302);
    const loc = new URL(first.headers.get("location")!);
    expect(loc.origin + loc.pathname).toBe(`${idp.issuer}/auth`);
    expect(loc.searchParams.get("code_challenge_method")).toBe("S256");
    for (const p of ["state", "nonce", "code_challenge"]) expect(loc.searchParams.get(p)?.length).toBeGreaterThan(20);
    expect(loc.searchParams.get("redirect_uri")).toBe(`${gw.url}/app/callback`);
    expect(first.headers.get("set-cookie")).toMatch(/^authorization=[^;]+;.*HttpOnly/);

    await page.goto(`${gw.url}/app/hello?x=1`, { waitUntil: "domcontentloaded" });
    await page.waitForURL(new RegExp(`^${idp.issuer}/interaction/`));
    await page.fill('input[name="login"]', "alice");
    await page.fill('input[name="password"]', "anything");
    await page.click('button[type="submit"]');
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await page.click('button[type="submit"]');
    await page.waitForURL(`${gw.url}/app/hello?x=1`);
    loginAt = Date.now();
    const seen = await echoed(page);
    expect(seen.url).toBe("/hello?x=1");
    expect(seen.headers["x-consumer-id"]).toBe(alice.id);
    expect(seen.headers["x-consumer-custom-id"]).toBe("alice");
    expect(seen.headers["x-credential-identifier"]).toBe("alice");
    expect(String(seen.headers.authorization)).toMatch(/^Bearer ey/);
    expect(String(seen.headers["x-id-token"])).toMatch(/^ey/);
    // the session cookie does not travel upstream
    expect(String(seen.headers.cookie ?? "")).not.toMatch(/(^|; )session=/);
    const cookies = await context.cookies(gw.url);
    const session = cookies.find((c) => c.name === "session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    expect(cookies.find((c) => c.name === "authorization")).toBeUndefined();
    expect(grants).toEqual(["authorization_code"]);
    await page.screenshot({ path: screenshotPath("oidc-authorization-code") });
  });

  it("reuses the session without the IdP, and checks scp on every request", async () => {
    const res = await page.goto(`${gw.url}/app/again`);
    expect(res?.status()).toBe(200);
    expect(res?.request().redirectedFrom()).toBeNull();
    expect((await echoed(page)).headers["x-consumer-custom-id"]).toBe("alice");
    const admin = await fetch(`${gw.url}/admin-area/x`, { headers: { cookie: await sessionCookieHeader() }, redirect: "manual" });
    expect(admin.status).toBe(403);
    expect(admin.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect(grants).toEqual(["authorization_code"]);
  });

  it("refreshes an expired access token from the session", async () => {
    const before = String((await echoed(page)).headers.authorization);
    await new Promise((r) => setTimeout(r, (ACCESS_TTL + 1) * 1000));
    const res = await page.goto(`${gw.url}/app/later`);
    expect(res?.status()).toBe(200);
    const after = String((await echoed(page)).headers.authorization);
    expect(after).toMatch(/^Bearer ey/);
    expect(after).not.toBe(before);
    expect(grants).toEqual(["authorization_code", "refresh_token"]);
  });

  it("a tampered or foreign session cookie gets no access", async () => {
    const cookie = await sessionCookieHeader();
    const tampered = cookie.replace(/session=(.{10})(.)/, (_m, a: string, b: string) => `session=${a}${b === "A" ? "B" : "A"}`);
    const r = await fetch(`${gw.url}/app/x`, { headers: { cookie: tampered }, redirect: "manual" });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toContain(`${idp.issuer}/auth`);
    const post = await fetch(`${gw.url}/app/x`, { method: "POST", headers: { cookie: tampered }, redirect: "manual" });
    expect(post.status).toBe(401);
  });

  it("refuses callbacks that do not belong to this browser's request: state, iss (RFC 9207), replayed codes", async () => {
    const start = await fetch(`${gw.url}/app/cb-test`, { redirect: "manual" });
    const pendingCookie = String(start.headers.get("set-cookie")).split(";")[0];
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    const cb = (q: string, cookie = pendingCookie) => fetch(`${gw.url}/app/callback?${q}`, { headers: { cookie }, redirect: "manual" });
    const wrongState = await cb(`code=abc&state=not-${state}`);
    expect(wrongState.status).toBe(400);
    expect(((await wrongState.json()) as { error_description: string }).error_description).toMatch(/state does not match/);
    const mixUp = await cb(`code=abc&state=${state}&iss=${encodeURIComponent("https://evil.example")}`);
    expect(mixUp.status).toBe(400);
    expect(((await mixUp.json()) as { error_description: string }).error_description).toMatch(/RFC 9207/);
    const noCookie = await cb(`code=abc&state=${state}&iss=${encodeURIComponent(idp.issuer)}`, "");
    expect(noCookie.status).toBe(400);
    const badCode = await cb(`code=abc&state=${state}&iss=${encodeURIComponent(idp.issuer)}`);
    expect(badCode.status).toBe(400);
    expect(((await badCode.json()) as { error_description: string }).error_description).toMatch(/refused the authorization code: invalid_grant/);
  });

  it("locks out once the session's absolute timeout passes", async () => {
    const cookie = await sessionCookieHeader();
    expect((await fetch(`${gw.url}/app/still`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);
    const wait = loginAt + (ABSOLUTE + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = await fetch(`${gw.url}/app/still`, { headers: { cookie }, redirect: "manual" });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toContain(`${idp.issuer}/auth`);
    expect(String(r.headers.get("set-cookie"))).toMatch(/session=;.*Max-Age=0/);
    const api = await fetch(`${gw.url}/app/still`, { method: "POST", headers: { cookie }, redirect: "manual" });
    expect(api.status).toBe(401);
    expect(upstream.seen.filter((s) => s.url === "/still").length).toBe(1);
  });

  it("logs out: clears the session and goes through the IdP's end_session to logout_redirect_uri", async () => {
    // a fresh login: the IdP remembers alice; offline_access (prompt=consent) asks for consent again
    await page.goto(`${gw.url}/app/back`, { waitUntil: "domcontentloaded" });
    await page.waitForURL(new RegExp(`^${idp.issuer}/interaction/`));
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await page.click('button[type="submit"]');
    await page.waitForURL(`${gw.url}/app/back`);
    const cookie = await sessionCookieHeader();
    expect((await fetch(`${gw.url}/app/ok`, { headers: { cookie }, redirect: "manual" })).status).toBe(200);
    const out = await fetch(`${gw.url}/app/logout`, { method: "POST", headers: { cookie }, redirect: "manual" });
    expect(out.status).toBe(302);
    const loc = new URL(out.headers.get("location")!);
    expect(loc.origin).toBe(idp.issuer);
    expect(loc.searchParams.get("post_logout_redirect_uri")).toBe(`${gw.url}/bye`);
    expect(loc.searchParams.get("id_token_hint")).toMatch(/^ey/);
    expect(String(out.headers.get("set-cookie"))).toMatch(/session=;.*Max-Age=0/);
  });

  it("session_idling_timeout: each use keeps the session alive, idling past it locks out", async () => {
    // the IdP remembers alice; offline_access (so that token expiry refreshes rather than ends the session) asks for consent
    await page.goto(`${gw.url}/idle/a`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector('input[name="prompt"][value="consent"]', { state: "attached" });
    await page.click('button[type="submit"]');
    await page.waitForURL(`${gw.url}/idle/a`);
    const cookie = async () => (await context.cookies(gw.url)).filter((c) => c.name.startsWith("idle_session")).map((c) => `${c.name}=${c.value}`).join("; ");
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, ((IDLE - 1) * 1000) / 2 + 500));
      const res = await page.goto(`${gw.url}/idle/b`);
      expect(res?.status(), `use ${i}`).toBe(200);
      expect(res?.request().redirectedFrom()).toBeNull();
    }
    const last = await cookie();
    await new Promise((r) => setTimeout(r, (IDLE + 1) * 1000));
    const r = await fetch(`${gw.url}/idle/c`, { headers: { cookie: last }, redirect: "manual" });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toContain(`${idp.issuer}/auth`);
  });
});
