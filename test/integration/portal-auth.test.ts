/**
 * Sign-up, log-in and log-out through the real portal (Remix production build)
 * with CSRF tokens, on every database target.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { CookieJar, csrfFrom, startTestControlPlane, type TestControlPlane } from "../support/control-plane";

describe.each(dbTargets())("portal accounts on $name", (target) => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane({ target });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  it("signs up, logs in with a session cookie and logs out", async () => {
    const jar = new CookieJar();
    const page = await jar.fetch(`${cp.portal}/signup`);
    expect(page.status).toBe(200);
    const csrf = csrfFrom(await page.text());
    const created = await jar.fetch(
      `${cp.portal}/signup`,
      form({ _csrf: csrf, email: "Ada@Example.com", password: "a-long-password", full_name: "Ada Lovelace" }),
    );
    expect(created.status).toBe(302);
    expect(created.headers.get("location")).toBe("/signup/done");
    const dev = await cp.cp.db.selectFrom("developers").selectAll().where("email", "=", "ada@example.com").executeTakeFirstOrThrow();
    expect(dev.status).toBe("approved");
    expect(dev.password_hash).not.toContain("a-long-password");

    const login = await jar.fetch(`${cp.portal}/login?redirectTo=/applications`);
    const loginCsrf = csrfFrom(await login.text());
    const wrong = await jar.fetch(`${cp.portal}/login`, form({ _csrf: loginCsrf, email: "ada@example.com", password: "nope-nope-nope" }));
    expect(wrong.status).toBe(401);
    const ok = await jar.fetch(
      `${cp.portal}/login`,
      form({ _csrf: loginCsrf, email: "ADA@example.com", password: "a-long-password", redirectTo: "/applications" }),
    );
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/applications");
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith("gatehouse_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // PUBLIC_URL is http here
    const token = decodeURIComponent(cookie.split(";")[0].split("=")[1]);
    // only the hash is stored
    const rows = await cp.cp.db.selectFrom("sessions").select("id").execute();
    expect(rows.map((r) => r.id)).not.toContain(token);

    const viewer = await cp.cp.sessions.viewer(new Request(cp.portal, { headers: { cookie: jar.header() } }));
    expect(viewer?.developer?.email).toBe("ada@example.com");

    const home = await jar.fetch(`${cp.portal}/login`);
    expect(home.status).toBe(302); // already logged in

    // log out needs a CSRF token bound to this browser: another browser's token is refused
    const other = new CookieJar();
    const otherCsrf = csrfFrom(await (await other.fetch(`${cp.portal}/login`)).text());
    const refused = await jar.fetch(`${cp.portal}/logout`, form({ _csrf: otherCsrf }));
    expect(refused.status).toBe(403);
    const sessionCsrf = (await cp.cp.sessions.csrf(new Request(cp.portal, { headers: { cookie: jar.header() } }))).token;
    const out = await jar.fetch(`${cp.portal}/logout`, form({ _csrf: sessionCsrf }));
    expect(out.status).toBe(302);
    expect(await cp.cp.sessions.viewer(new Request(cp.portal, { headers: { cookie: `gatehouse_session=${token}` } }))).toBeNull();
  });

  it("refuses a form post without a valid CSRF token", async () => {
    const jar = new CookieJar();
    await jar.fetch(`${cp.portal}/signup`);
    const res = await jar.fetch(`${cp.portal}/signup`, form({ email: "eve@example.com", password: "a-long-password", full_name: "Eve" }));
    expect(res.status).toBe(403);
    const forged = await jar.fetch(
      `${cp.portal}/signup`,
      form({ _csrf: "A".repeat(43), email: "eve@example.com", password: "a-long-password", full_name: "Eve" }),
    );
    expect(forged.status).toBe(403);
    expect(await cp.cp.db.selectFrom("developers").select("id").where("email", "=", "eve@example.com").executeTakeFirst()).toBeUndefined();
  });

  it("does not reveal whether an email is registered", async () => {
    const attempt = async (email: string) => {
      const jar = new CookieJar();
      const csrf = csrfFrom(await (await jar.fetch(`${cp.portal}/signup`)).text());
      const res = await jar.fetch(`${cp.portal}/signup`, form({ _csrf: csrf, email, password: "another-password", full_name: "Someone" }));
      return { status: res.status, location: res.headers.get("location") };
    };
    expect(await attempt("ada@example.com")).toEqual(await attempt("new-person@example.com"));
  });

  it("redirects after log-in only to relative paths", async () => {
    const jar = new CookieJar();
    const csrf = csrfFrom(await (await jar.fetch(`${cp.portal}/login`)).text());
    const res = await jar.fetch(
      `${cp.portal}/login`,
      form({ _csrf: csrf, email: "ada@example.com", password: "a-long-password", redirectTo: "//evil.example/steal" }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
  });
});
