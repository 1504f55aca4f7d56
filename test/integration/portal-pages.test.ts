/**
 * Portal pages through the real Remix build with fetch: CSRF on every form,
 * 404 for another developer's application, the catalog's "how to call" and
 * OpenAPI rendering, portal-templates with a PORTAL_TEMPLATES_DIR override,
 * escaping of user content, emails in the outbox, password reset by email.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, csrfFrom, startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { publishService } from "../support/portal-fixtures";

describe("portal pages", () => {
  let cp: TestControlPlane;
  let demoId: string;
  let overrides: string;
  beforeAll(async () => {
    overrides = fs.mkdtempSync(path.join(os.tmpdir(), "gh-templates-"));
    fs.mkdirSync(path.join(overrides, "pages"));
    fs.writeFileSync(path.join(overrides, "pages", "home.hbs"), "<h1>Welcome to ACME</h1><p>Hello {{#if developer}}{{developer.full_name}}{{else}}stranger{{/if}}</p>");
    cp = await startTestControlPlane({ demoUpstream: { host: "127.0.0.1", port: 9 }, env: { PORTAL_TEMPLATES_DIR: overrides } });
    demoId = await publishService(cp.cp, "demo", { display_name: "Demo API", description: "Echoes", show_issuer: false });
  });
  afterAll(async () => {
    await cp?.stop();
    fs.rmSync(overrides, { recursive: true, force: true });
  });

  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  async function loggedIn(email: string, name = "Dev"): Promise<CookieJar> {
    const jar = new CookieJar();
    const page = await jar.fetch(`${cp.portal}/signup`);
    const signed = await jar.fetch(`${cp.portal}/signup`, form({ _csrf: csrfFrom(await page.text()), email, password: "a-long-password", full_name: name }));
    expect(signed.status).toBe(302);
    const login = await jar.fetch(`${cp.portal}/login`);
    const ok = await jar.fetch(`${cp.portal}/login`, form({ _csrf: csrfFrom(await login.text()), email, password: "a-long-password" }));
    expect(ok.status).toBe(302);
    return jar;
  }

  async function createApp(jar: CookieJar, name: string): Promise<string> {
    const page = await jar.fetch(`${cp.portal}/applications`);
    const res = await jar.fetch(`${cp.portal}/applications`, form({ _csrf: csrfFrom(await page.text()), name }));
    expect(res.status).toBe(302);
    return res.headers.get("location")!.split("/").pop()!;
  }

  it("renders the home page from the override folder, escaping user content", async () => {
    const anon = await (await fetch(`${cp.portal}/`)).text();
    expect(anon).toContain("Welcome to ACME");
    expect(anon).toContain("Hello stranger");
    const jar = await loggedIn("tpl@example.com", "<script>alert(1)</script>");
    const html = await (await jar.fetch(`${cp.portal}/`)).text();
    expect(html).toContain("Hello &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    // pages not overridden come from the built-in folder
    expect(await (await fetch(`${cp.portal}/pages/getting-started`)).text()).toContain("Getting started");
    expect((await fetch(`${cp.portal}/pages/..%2Fpackage`)).status).toBe(404);
    expect((await fetch(`${cp.portal}/pages/nope`)).status).toBe(404);
  });

  it("refuses application form posts without a valid CSRF token", async () => {
    const jar = await loggedIn("csrf@example.com");
    const appId = await createApp(jar, "csrf-app");
    const other = new CookieJar();
    const foreign = csrfFrom(await (await other.fetch(`${cp.portal}/login`)).text());
    for (const [url, fields] of [
      [`/applications`, { name: "forged" }],
      [`/applications/${appId}`, { intent: "delete" }],
      [`/applications/${appId}`, { intent: "rotate" }],
      [`/applications/${appId}`, { intent: "request", service_id: demoId }],
      [`/services/${demoId}`, { application_id: appId }],
      [`/logout`, {}],
    ] as const) {
      expect((await jar.fetch(`${cp.portal}${url}`, form({ ...fields }))).status).toBe(403);
      expect((await jar.fetch(`${cp.portal}${url}`, form({ ...fields, _csrf: foreign }))).status).toBe(403);
    }
    const apps = await cp.cp.portal.applications.list((await cp.cp.db.selectFrom("developers").select("id").where("email", "=", "csrf@example.com").executeTakeFirstOrThrow()).id);
    expect(apps.map((a) => a.name)).toEqual(["csrf-app"]);
    expect(await cp.cp.db.selectFrom("application_instances").select("id").where("application_id", "=", appId).execute()).toEqual([]);
  });

  it("answers 404 for another developer's application page and its actions", async () => {
    const alice = await loggedIn("alice-pages@example.com");
    const bob = await loggedIn("bob-pages@example.com");
    const appId = await createApp(alice, "alice-secret-app");
    const page = await bob.fetch(`${cp.portal}/applications/${appId}`);
    expect(page.status).toBe(404);
    expect(await page.text()).not.toContain("alice-secret-app");
    const bobCsrf = csrfFrom(await (await bob.fetch(`${cp.portal}/applications`)).text());
    expect((await bob.fetch(`${cp.portal}/applications/${appId}`, form({ _csrf: bobCsrf, intent: "delete" }))).status).toBe(404);
    expect((await bob.fetch(`${cp.portal}/services/${demoId}`, form({ _csrf: bobCsrf, application_id: appId }))).status).toBe(404);
    expect((await alice.fetch(`${cp.portal}/applications/${appId}`)).status).toBe(200);
  });

  it("shows the catalog with how to call the API and its OpenAPI operations", async () => {
    const html = await (await fetch(`${cp.portal}/services/${demoId}`)).text();
    expect(html).toContain("Demo API");
    expect(html).toContain(`${cp.cp.urls.issuer}/token`);
    expect(html).toContain("grant_type=client_credentials");
    expect(html).toContain(`Authorization: Bearer $ACCESS_TOKEN`);
    expect(html).toContain(`${cp.cp.urls.proxy}/demo`);
    expect(html).toContain("Echo the request");
    expect(html).not.toContain(">Issuer<"); // show_issuer is off
    // an admin's upload replaces the template spec; it is rendered escaped
    await cp.cp.portal.catalog.setSpec(demoId, JSON.stringify({ openapi: "3.0.0", info: { title: "Uploaded <b>spec</b>", version: "2" }, paths: { "/x": { get: { summary: "<img src=x onerror=alert(1)>" } } } }));
    const again = await (await fetch(`${cp.portal}/services/${demoId}`)).text();
    expect(again).toContain("Uploaded &lt;b&gt;spec&lt;/b&gt;");
    expect(again).toContain("&lt;img src=x onerror=alert(1)&gt;");
    await expect(cp.cp.portal.catalog.setSpec(demoId, "just text")).rejects.toThrow(/openapi|object|YAML/);
  });

  it("resets a password by email; the answer is the same for unknown addresses", async () => {
    await loggedIn("reset@example.com");
    const signup = await cp.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "reset@example.com").where("template", "=", "sign-up").executeTakeFirstOrThrow();
    expect(signup.status).toBe("kept"); // no SMTP_URL: kept for admins
    const jar = new CookieJar();
    const ask = async (email: string) => {
      const p = await jar.fetch(`${cp.portal}/forgot-password`);
      const r = await jar.fetch(`${cp.portal}/forgot-password`, form({ _csrf: csrfFrom(await p.text()), email }));
      return { status: r.status, text: (await r.text()).replace(/name="_csrf" value="[^"]+"/, "") };
    };
    const known = await ask("reset@example.com");
    const unknown = await ask("nobody@example.com");
    expect(known.status).toBe(unknown.status);
    expect(known.text).toContain("If the address has an account");
    const mail = await cp.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "reset@example.com").where("template", "=", "password-reset").executeTakeFirstOrThrow();
    expect(await cp.cp.db.selectFrom("email_outbox").select("id").where("to_address", "=", "nobody@example.com").executeTakeFirst()).toBeUndefined();
    const link = /https?:\/\/\S+reset-password\?token=(\S+)/.exec(mail.text_body)!;
    const token = decodeURIComponent(link[1]);
    const page = await jar.fetch(`${cp.portal}/reset-password?token=${encodeURIComponent(token)}`);
    const resetCsrf = csrfFrom(await page.text());
    const done = await jar.fetch(`${cp.portal}/reset-password`, form({ _csrf: resetCsrf, token, password: "a-brand-new-password" }));
    expect(done.status).toBe(302);
    const reuse = await jar.fetch(`${cp.portal}/reset-password`, form({ _csrf: resetCsrf, token, password: "yet-another-password" }));
    expect(reuse.status).toBe(400);
    const login = await new CookieJar().fetch(`${cp.portal}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "reset@example.com", password: "a-brand-new-password" }) });
    expect(login.status).toBe(200);
  });
});
