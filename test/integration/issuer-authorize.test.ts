/**
 * The authorization endpoint's checks (RFC 6749 4.1.2.1, RFC 7636, RFC 8707, OIDC
 * Core 3.1.2): which requests get an error page (never a redirect), which get an
 * error redirect to the registered redirect_uri, and what a valid one yields.
 * The browser flow itself is in test/e2e/issuer-code-flow.browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { startIssuer, type IssuerHarness } from "../support/issuer";

describe.each(dbTargets())("authorization requests on $name", (target) => {
  let h: IssuerHarness;
  let conf: string;
  let pub: string;
  const cb = "https://app.example/cb";
  const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

  beforeAll(async () => {
    h = await startIssuer({ target });
    conf = (await h.cp.issuer.clients.create({ name: "web", grant_types: ["authorization_code"], redirect_uris: [cb, "https://app.example/cb2"], scope: "orders:read" })).client_id;
    pub = (await h.cp.issuer.clients.create({ name: "spa", grant_types: ["authorization_code"], redirect_uris: [cb], token_endpoint_auth_method: "none" })).client_id;
  });
  afterAll(async () => {
    await h?.stop();
  });

  const validate = (q: string | Record<string, string>) => h.cp.issuer.authorization.validate(new URLSearchParams(q));

  it("answers an unknown client, a missing or unregistered redirect_uri with an error page", async () => {
    const requests: (string | Record<string, string>)[] = [
      { response_type: "code", redirect_uri: cb },
      { client_id: "nope", response_type: "code", redirect_uri: cb },
      { client_id: conf, response_type: "code" },
      { client_id: conf, response_type: "code", redirect_uri: "https://app.example/cb/" },
      { client_id: conf, response_type: "code", redirect_uri: "https://APP.example/cb" },
      { client_id: conf, response_type: "code", redirect_uri: "https://attacker.example/cb" },
      `client_id=${conf}&client_id=${pub}&response_type=code&redirect_uri=${encodeURIComponent(cb)}`,
      `client_id=${conf}&response_type=code&redirect_uri=${encodeURIComponent(cb)}&redirect_uri=${encodeURIComponent(cb)}`,
    ];
    for (const q of requests) {
      const r = await validate(q);
      expect({ q, kind: r.kind }).toEqual({ q, kind: "error-page" });
    }
  });

  it("redirects other errors to the registered redirect_uri with state and iss", async () => {
    const cases: [Record<string, string> | string, string][] = [
      [{ client_id: conf, redirect_uri: cb, state: "s1" }, "invalid_request"],
      [{ client_id: conf, redirect_uri: cb, response_type: "token", state: "s1" }, "unsupported_response_type"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", scope: "openid admin", state: "s1" }, "invalid_scope"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", code_challenge: challenge, code_challenge_method: "plain", state: "s1" }, "invalid_request"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", code_challenge: "short", code_challenge_method: "S256", state: "s1" }, "invalid_request"],
      [{ client_id: pub, redirect_uri: cb, response_type: "code", state: "s1" }, "invalid_request"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", request: "eyJ...", state: "s1" }, "request_not_supported"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", resource: "https://elsewhere.example/", state: "s1" }, "invalid_target"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", prompt: "none login", state: "s1" }, "invalid_request"],
      [{ client_id: conf, redirect_uri: cb, response_type: "code", response_mode: "fragment", state: "s1" }, "invalid_request"],
      [`client_id=${conf}&redirect_uri=${encodeURIComponent(cb)}&response_type=code&scope=a&scope=b&state=s1`, "invalid_request"],
    ];
    for (const [q, error] of cases) {
      const r = await validate(q);
      expect(r.kind).toBe("redirect");
      const u = new URL((r as { location: string }).location);
      expect({ q, at: u.origin + u.pathname, error: u.searchParams.get("error") }).toEqual({ q, at: cb, error });
      expect(u.searchParams.get("state")).toBe("s1");
      expect(u.searchParams.get("iss")).toBe(h.issuer);
    }
    const noCode = await h.cp.issuer.clients.create({ name: "m2m", grant_types: ["client_credentials"], redirect_uris: [cb] });
    const r = await validate({ client_id: noCode.client_id, redirect_uri: cb, response_type: "code" });
    expect(new URL((r as { location: string }).location).searchParams.get("error")).toBe("unauthorized_client");
  });

  it("accepts a valid request and issues a one-time code bound to it", async () => {
    const r = await validate({
      client_id: pub,
      redirect_uri: cb,
      response_type: "code",
      scope: "openid email",
      state: "xyz",
      nonce: "n-1",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: "http://localhost:18000/orders",
    });
    expect(r.kind).toBe("ok");
    if (r.kind !== "ok") return;
    expect(r.request).toMatchObject({ client_id: pub, redirect_uri: cb, scope: ["openid", "email"], nonce: "n-1", code_challenge: challenge, resource: "http://localhost:18000/orders" });
    const { signUp } = await import("../../app/.server/developers");
    const dev = await signUp(h.cp.db, { email: "c@example.com", password: "consent-given-1", full_name: "C" }, { autoApprove: true });
    const location = new URL(await h.cp.issuer.authorization.approve(r.request, dev.developer, new Date()));
    expect(location.searchParams.get("state")).toBe("xyz");
    const code = location.searchParams.get("code")!;
    const row = await h.cp.db.selectFrom("authorization_codes").selectAll().executeTakeFirstOrThrow();
    expect(row.code_hash).not.toBe(code);
    expect(row.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
    expect(await h.cp.issuer.authorization.hasConsent(dev.developer.id, pub, ["openid"])).toBe(true);
    expect(await h.cp.issuer.authorization.hasConsent(dev.developer.id, pub, ["profile"])).toBe(false);
  });
});
