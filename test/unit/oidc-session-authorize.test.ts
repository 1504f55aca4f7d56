/** openid-connect: the encrypted session cookie and the *_required rules. */
import { describe, expect, it } from "vitest";
import { clearSealed, parseCookies, readSealed, SessionCodec, sessionExpired, writeSealed } from "../../gateway/plugins/openid-connect/session";
import { checkRequired, satisfies } from "../../gateway/plugins/openid-connect/authorize";
import { OidcError } from "../../gateway/plugins/openid-connect/errors";

describe("session cookie", () => {
  const codec = new SessionCodec("a-session-secret-of-enough-length!!", "session");

  it("round-trips, and refuses tampering, another secret and another cookie name", () => {
    const sealed = codec.seal({ a: 1, token: "plain-token-value" });
    expect(codec.open(sealed)).toEqual({ a: 1, token: "plain-token-value" });
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toContain("plain-token-value");
    const flipped = sealed.slice(0, 20) + (sealed[20] === "A" ? "B" : "A") + sealed.slice(21);
    expect(codec.open(flipped)).toBeUndefined();
    expect(new SessionCodec("another-secret-another-secret-xx", "session").open(sealed)).toBeUndefined();
    expect(codec.open(sealed, "authorization")).toBeUndefined();
    expect(codec.open("not base64 !")).toBeUndefined();
    expect(codec.open("")).toBeUndefined();
  });

  it("splits large values over chunks and reads them back", () => {
    const big = { t: "x".repeat(4000) };
    const sealed = codec.seal(big);
    const set = writeSealed(new Map(), "session", sealed, { secure: true });
    expect(set.length).toBe(2);
    expect(set[0]).toMatch(/^session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expect(set[1]).toMatch(/^session_2=/);
    const jar = parseCookies(set.map((c) => c.split(";")[0]).join("; "));
    expect(codec.open(readSealed(jar, "session"))).toEqual(big);
    expect(clearSealed(jar, "session", {})).toEqual(["session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", "session_2=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"]);
  });

  it("expires on idling, rolling and absolute timeouts", () => {
    const t = { idling: 10, rolling: 100, absolute: 1000 };
    const s = { created: 0, renewed: 0, used: 0 };
    expect(sessionExpired(s, t, 9)).toBeUndefined();
    expect(sessionExpired(s, t, 10)).toBe("idling timeout");
    expect(sessionExpired({ created: 0, renewed: 0, used: 95 }, t, 100)).toBe("rolling timeout");
    expect(sessionExpired({ created: 0, renewed: 995, used: 995 }, t, 1000)).toBe("absolute timeout");
    expect(sessionExpired({ created: 0, renewed: 0, used: 0 }, { idling: 0, rolling: 0, absolute: 0 }, 1e9)).toBeUndefined();
  });
});

describe("*_required", () => {
  it("entries OR, words AND", () => {
    expect(satisfies(["read write", "admin"], ["read", "write"])).toBe(true);
    expect(satisfies(["read write", "admin"], ["read"])).toBe(false);
    expect(satisfies(["read write", "admin"], ["admin"])).toBe(true);
    expect(satisfies([], [])).toBe(true);
    expect(satisfies([""], ["x"])).toBe(false);
  });

  it("reads string or array claims (Okta's scp), nested paths, and answers 403 insufficient_scope or 401 for audience", () => {
    expect(() => checkRequired({ scp: ["read", "write"] }, { scopes_required: ["read write"], scopes_claim: ["scp"] })).not.toThrow();
    expect(() => checkRequired({ scope: "read write" }, { scopes_required: ["write"] })).not.toThrow();
    expect(() => checkRequired({ realm_access: { roles: ["ops"] } }, { groups_required: ["ops"], groups_claim: ["realm_access", "roles"] })).not.toThrow();
    const scope = (() => {
      try {
        checkRequired({ scp: ["read"] }, { scopes_required: ["write"], scopes_claim: ["scp"] });
      } catch (e) {
        return e as OidcError;
      }
    })();
    expect(scope?.status).toBe(403);
    expect(scope?.code).toBe("insufficient_scope");
    expect(scope?.challenge()).toContain('error="insufficient_scope"');
    const aud = (() => {
      try {
        checkRequired({ aud: ["a", "b"] }, { audience_required: ["c"] });
      } catch (e) {
        return e as OidcError;
      }
    })();
    expect(aud?.status).toBe(401);
    expect(() => checkRequired({ aud: ["a", "b"] }, { audience_required: ["c", "b"] })).not.toThrow();
  });
});
