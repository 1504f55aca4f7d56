/**
 * The built-in issuer's authorization code flow with PKCE, driven by Chromium
 * through the portal's login page and consent form, with openid-client as the
 * relying party: id_token with nonce, userinfo, refresh with rotation and reuse
 * detection, reused codes, missing PKCE verifier, mismatched redirect_uri, error
 * pages for unknown clients and unregistered redirect URIs, consent denial, and
 * RP-initiated logout with an exact post_logout_redirect_uri.
 */
import http from "node:http";
import * as client from "openid-client";
import * as jose from "jose";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp } from "../../app/.server/developers";
import { closeServer, listen } from "../../app/.server/http/util";
import { launchChromium, screenshotPath } from "../support/browser";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { dbTargets } from "../support/db";

describe.each(dbTargets())("authorization code flow in Chromium on $name", (target) => {
  let cp: TestControlPlane;
  let browser: Browser;
  let page: Page;
  let rp: http.Server;
  let cb: string;
  let issuer: string;
  let app: { client_id: string; client_secret?: string };
  let config: client.Configuration;
  let developerId: string;

  beforeAll(async () => {
    [cp, browser] = await Promise.all([startTestControlPlane({ target }), launchChromium()]);
    rp = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("relying party"));
    cb = `http://127.0.0.1:${await listen(rp, "127.0.0.1", 0)}/cb`;
    issuer = cp.cp.urls.issuer;
    const dev = await signUp(cp.cp.db, { email: "ada@example.com", password: "analytical-engine", full_name: "Ada Lovelace" }, { autoApprove: true });
    developerId = dev.developer.id;
    app = await cp.cp.issuer.clients.create({
      name: "Ada's dashboard",
      grant_types: ["authorization_code", "refresh_token"],
      redirect_uris: [cb],
      post_logout_redirect_uris: [`${cb}/logged-out`],
      scope: "orders:read",
    });
    config = await client.discovery(new URL(issuer), app.client_id, app.client_secret, undefined, { execute: [client.allowInsecureRequests] });
    page = await (await browser.newContext()).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    if (rp) await closeServer(rp, 0);
    await cp?.stop();
  });

  const pkce = async () => {
    const verifier = client.randomPKCECodeVerifier();
    return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier) };
  };
  const authUrl = (p: Record<string, string>) =>
    client.buildAuthorizationUrl(config, { redirect_uri: cb, scope: "openid email profile orders:read", ...p }).href;
  /** Runs an authorization request whose consent is already given; returns the callback URL. */
  const quickCode = async (p: Record<string, string>) => {
    await page.goto(authUrl(p));
    await page.waitForURL((u) => u.href.startsWith(cb));
    return new URL(page.url());
  };
  const tokenPost = (body: Record<string, string>) =>
    fetch(`${issuer}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "Basic " + Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64"),
      },
      body: new URLSearchParams(body).toString(),
    });

  let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

  it("logs in through the portal, asks consent, and issues tokens with PKCE, nonce and id_token", async () => {
    const { verifier, challenge } = await pkce();
    const nonce = client.randomNonce();
    const state = client.randomState();
    await page.goto(authUrl({ code_challenge: challenge, code_challenge_method: "S256", nonce, state }));
    await page.waitForURL(/\/login\?redirectTo=/);
    await page.fill('input[name="email"]', "ada@example.com");
    await page.fill('input[name="password"]', "analytical-engine");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/oauth2\/authorize\?/);
    await expect.poll(() => page.locator("h1").textContent()).toContain("Allow Ada's dashboard");
    await page.screenshot({ path: screenshotPath(`issuer-consent-${target.name}`) });
    await page.click('button[value="allow"]');
    await page.waitForURL((u) => u.href.startsWith(cb));
    const callback = new URL(page.url());
    expect(callback.searchParams.get("iss")).toBe(issuer);

    tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true });
    const id = tokens.claims()!;
    expect(id).toMatchObject({ iss: issuer, sub: developerId, aud: app.client_id, nonce, email: "ada@example.com", name: "Ada Lovelace" });
    expect(tokens.refresh_token).toBeTruthy();
    const jwks = jose.createLocalJWKSet((await (await fetch(`${issuer}/jwks`)).json()) as jose.JSONWebKeySet);
    const { payload } = await jose.jwtVerify(tokens.access_token, jwks, { issuer, typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: developerId, client_id: app.client_id, application_id: app.client_id, scope: "openid email profile orders:read" });

    const info = await client.fetchUserInfo(config, tokens.access_token, developerId);
    expect(info).toMatchObject({ sub: developerId, email: "ada@example.com", email_verified: false, name: "Ada Lovelace" });
  });

  it("rotates refresh tokens and revokes the family when an old one is reused", async () => {
    const first = tokens.refresh_token!;
    const second = await client.refreshTokenGrant(config, first);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first);
    expect(second.access_token).not.toBe(tokens.access_token);
    const introspected = await client.tokenIntrospection(config, second.refresh_token!, { token_type_hint: "refresh_token" });
    expect(introspected).toMatchObject({ active: true, client_id: app.client_id, sub: developerId });

    const reuse = await tokenPost({ grant_type: "refresh_token", refresh_token: first });
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe("invalid_grant");
    // the reuse revoked the whole family: the newest token is dead too
    const after = await tokenPost({ grant_type: "refresh_token", refresh_token: second.refresh_token! });
    expect(((await after.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await client.tokenIntrospection(config, second.refresh_token!)).active).toBe(false);
    // and so are the access tokens issued with the family, for the gateway too (revoked_tokens)
    expect((await client.tokenIntrospection(config, second.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    const jti = String(jose.decodeJwt(second.access_token).jti);
    expect(await cp.cp.db.selectFrom("revoked_tokens").select("jti").where("jti", "=", jti).executeTakeFirst()).toBeDefined();
  });

  it("remembers consent, and refuses reused codes, a missing verifier and a mismatched redirect_uri", async () => {
    // reused code: the second exchange fails and revokes what the first issued
    let p = await pkce();
    let cbUrl = await quickCode({ code_challenge: p.challenge, code_challenge_method: "S256" });
    const code = cbUrl.searchParams.get("code")!;
    const ok = await tokenPost({ grant_type: "authorization_code", code, redirect_uri: cb, code_verifier: p.verifier });
    expect(ok.status).toBe(200);
    const okBody = (await ok.json()) as { refresh_token: string; access_token: string };
    expect((await client.tokenIntrospection(config, okBody.access_token)).active).toBe(true);
    const again = await tokenPost({ grant_type: "authorization_code", code, redirect_uri: cb, code_verifier: p.verifier });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe("invalid_grant");
    const viaRevoked = await tokenPost({ grant_type: "refresh_token", refresh_token: okBody.refresh_token });
    expect(((await viaRevoked.json()) as { error: string }).error).toBe("invalid_grant");
    expect((await client.tokenIntrospection(config, okBody.access_token)).active).toBe(false);

    // missing PKCE verifier
    p = await pkce();
    cbUrl = await quickCode({ code_challenge: p.challenge, code_challenge_method: "S256" });
    const noVerifier = await tokenPost({ grant_type: "authorization_code", code: cbUrl.searchParams.get("code")!, redirect_uri: cb });
    expect(noVerifier.status).toBe(400);
    expect(((await noVerifier.json()) as { error: string }).error).toBe("invalid_grant");

    // wrong verifier
    p = await pkce();
    cbUrl = await quickCode({ code_challenge: p.challenge, code_challenge_method: "S256" });
    const wrongVerifier = await tokenPost({ grant_type: "authorization_code", code: cbUrl.searchParams.get("code")!, redirect_uri: cb, code_verifier: client.randomPKCECodeVerifier() });
    expect(((await wrongVerifier.json()) as { error: string }).error).toBe("invalid_grant");

    // mismatched redirect_uri at the token endpoint
    p = await pkce();
    cbUrl = await quickCode({ code_challenge: p.challenge, code_challenge_method: "S256" });
    const mismatch = await tokenPost({ grant_type: "authorization_code", code: cbUrl.searchParams.get("code")!, redirect_uri: `${cb}/other`, code_verifier: p.verifier });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: string }).error).toBe("invalid_grant");

    // unknown code
    const unknown = await tokenPost({ grant_type: "authorization_code", code: "nope", redirect_uri: cb, code_verifier: p.verifier });
    expect(((await unknown.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("shows an error page, never a redirect, for an unknown client or an unregistered redirect_uri", async () => {
    const u = new URL(authUrl({}));
    u.searchParams.set("redirect_uri", "https://attacker.example/cb");
    const res = await page.goto(u.href);
    expect(res?.status()).toBe(400);
    expect(page.url()).toContain("/oauth2/authorize");
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toContain("not registered");
    u.searchParams.set("client_id", "no-such-client");
    const res2 = await page.goto(u.href);
    expect(res2?.status()).toBe(400);
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toContain("no application");
    // a registered redirect_uri gets errors as a redirect (RFC 6749 4.1.2.1)
    const bad = await quickCode({ response_type: "token" });
    expect(bad.searchParams.get("error")).toBe("unsupported_response_type");
  });

  it("requires PKCE for public clients and lets the user deny consent", async () => {
    const pub = await cp.cp.issuer.clients.create({ name: "SPA", grant_types: ["authorization_code"], redirect_uris: [cb], token_endpoint_auth_method: "none" });
    const pubConfig = new client.Configuration(config.serverMetadata(), pub.client_id, {}, client.None());
    client.allowInsecureRequests(pubConfig);
    const noPkce = client.buildAuthorizationUrl(pubConfig, { redirect_uri: cb, scope: "openid" });
    await page.goto(noPkce.href);
    await page.waitForURL((u) => u.href.startsWith(cb));
    expect(new URL(page.url()).searchParams.get("error")).toBe("invalid_request");

    const { verifier, challenge } = await pkce();
    const state = client.randomState();
    await page.goto(client.buildAuthorizationUrl(pubConfig, { redirect_uri: cb, scope: "openid", code_challenge: challenge, code_challenge_method: "S256", state }).href);
    await page.waitForURL(/\/oauth2\/authorize\?/);
    await page.click('button[value="deny"]');
    await page.waitForURL((u) => u.href.startsWith(cb));
    const denied = new URL(page.url());
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe(state);

    await page.goto(client.buildAuthorizationUrl(pubConfig, { redirect_uri: cb, scope: "openid", code_challenge: challenge, code_challenge_method: "S256", state }).href);
    await page.waitForURL(/\/oauth2\/authorize\?/);
    await page.click('button[value="allow"]');
    await page.waitForURL((u) => u.href.startsWith(cb));
    const t = await client.authorizationCodeGrant(pubConfig, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    expect(t.claims()?.sub).toBe(developerId);
  });

  it("logs out with an exact post_logout_redirect_uri", async () => {
    const wrong = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${cb}/elsewhere` });
    const res = await page.goto(wrong.href);
    expect(res?.status()).toBe(400);
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toContain("not registered");

    const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${cb}/logged-out`, state: "bye" });
    await page.goto(url.href);
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL((u) => u.href.startsWith(`${cb}/logged-out`));
    expect(new URL(page.url()).searchParams.get("state")).toBe("bye");
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "gatehouse_session")).toBeUndefined();
  });
});
