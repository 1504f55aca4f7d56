/**
 * The /admin console through the real portal (Remix production build): admin
 * log-in, roles enforced on the server for every action, CSRF on every form,
 * developer decisions (with the ACL removal and config version bump), settings,
 * audit log, email outbox, templates. PGlite and PostgreSQL.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "../../app/.server/db/schema";
import { hashPassword } from "../../app/.server/passwords";
import { dbTargets } from "../support/db";
import { CookieJar, csrfFrom, startTestControlPlane, type TestControlPlane } from "../support/control-plane";

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe.each(dbTargets())("admin console on $name", (target) => {
  let cp: TestControlPlane;
  let templatesDir: string;
  let superJar: CookieJar;
  beforeAll(async () => {
    templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-tpl-"));
    cp = await startTestControlPlane({ target, env: { PORTAL_TEMPLATES_DIR: templatesDir } });
    superJar = await logIn("admin@example.com", "admin-password-123");
  });
  afterAll(async () => {
    await cp?.stop();
    fs.rmSync(templatesDir, { recursive: true, force: true });
  });

  async function logIn(email: string, password: string): Promise<CookieJar> {
    const jar = new CookieJar();
    const page = await jar.fetch(`${cp.portal}/admin/login`);
    expect(page.status).toBe(200);
    const res = await jar.fetch(`${cp.portal}/admin/login`, form({ _csrf: csrfFrom(await page.text()), email, password }));
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/admin");
    return jar;
  }

  async function post(jar: CookieJar, pathname: string, fields: Record<string, string>): Promise<Response> {
    const page = await jar.fetch(`${cp.portal}${pathname}`);
    expect(page.status).toBe(200);
    return jar.fetch(`${cp.portal}${pathname}`, form({ _csrf: csrfFrom(await page.text()), ...fields }));
  }

  async function developer(email: string, status: "requested" | "approved" = "requested") {
    const id = crypto.randomUUID();
    await cp.cp.db
      .insertInto("developers")
      .values({ id, email, full_name: email.split("@")[0], password_hash: await hashPassword("dev-password-1"), status })
      .execute();
    return id;
  }

  it("sends strangers and developers to the admin log-in page", async () => {
    const anon = new CookieJar();
    const res = await anon.fetch(`${cp.portal}/admin/developers`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/admin/login?redirectTo=%2Fadmin%2Fdevelopers");

    await developer("dev-only@example.com", "approved");
    const dev = new CookieJar();
    const login = await dev.fetch(`${cp.portal}/login`);
    const ok = await dev.fetch(`${cp.portal}/login`, form({ _csrf: csrfFrom(await login.text()), email: "dev-only@example.com", password: "dev-password-1" }));
    expect(ok.status).toBe(302);
    const denied = await dev.fetch(`${cp.portal}/admin`);
    expect(denied.status).toBe(302);
    expect(denied.headers.get("location")).toMatch(/^\/admin\/login/);

    const wrong = new CookieJar();
    const page = await wrong.fetch(`${cp.portal}/admin/login`);
    const bad = await wrong.fetch(`${cp.portal}/admin/login`, form({ _csrf: csrfFrom(await page.text()), email: "admin@example.com", password: "not-the-password" }));
    expect(bad.status).toBe(401);
    // a developer's password does not open /admin
    const page2 = await wrong.fetch(`${cp.portal}/admin/login`);
    const bad2 = await wrong.fetch(`${cp.portal}/admin/login`, form({ _csrf: csrfFrom(await page2.text()), email: "dev-only@example.com", password: "dev-password-1" }));
    expect(bad2.status).toBe(401);
  });

  it("throttles admin log-in per account after five failures", async () => {
    const jar = new CookieJar();
    const attempt = async (password: string) => {
      const page = await jar.fetch(`${cp.portal}/admin/login`);
      return jar.fetch(`${cp.portal}/admin/login`, form({ _csrf: csrfFrom(await page.text()), email: "victim@example.com", password }));
    };
    await cp.cp.db.insertInto("admins").values({ id: crypto.randomUUID(), email: "victim@example.com", password_hash: await hashPassword("victim-password-1"), role: "read-only" }).execute();
    for (let i = 0; i < 5; i++) expect((await attempt("wrong-password-" + i)).status).toBe(401);
    const blocked = await attempt("victim-password-1");
    expect(blocked.status).toBe(429);
    expect(await blocked.text()).toContain("Too many log-in attempts");
  });

  it("approves and rejects developers, with an audit entry each", async () => {
    const ada = await developer("ada@example.com");
    const eve = await developer("eve@example.com");
    const list = await superJar.fetch(`${cp.portal}/admin/developers?status=requested`);
    const html = await list.text();
    expect(html).toContain("ada@example.com");
    expect(html).not.toContain("dev-only@example.com");

    expect((await post(superJar, "/admin/developers", { intent: "status", id: ada, status: "approved" })).status).toBe(200);
    expect((await post(superJar, "/admin/developers", { intent: "status", id: eve, status: "rejected", reason: "We could not verify your company" })).status).toBe(200);
    const mail = await cp.cp.db.selectFrom("email_outbox").select("text_body").where("to_address", "=", "eve@example.com").orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(mail.text_body).toContain("We could not verify your company");
    const rows = await cp.cp.db.selectFrom("developers").select(["email", "status"]).where("id", "in", [ada, eve]).orderBy("email").execute();
    expect(rows).toEqual([
      { email: "ada@example.com", status: "approved" },
      { email: "eve@example.com", status: "rejected" },
    ]);
    const entries = await cp.cp.db.selectFrom("audit_log").selectAll().where("action", "=", "developer.approved").where("target_id", "=", ada).execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_type: "admin", actor_label: "admin@example.com" });
    expect(entries[0].details).toMatchObject({ from: "requested" });

    // bad input is a 400 that says what to fix, never a 500
    const bad = await post(superJar, "/admin/developers", { intent: "status", id: ada, status: "banana" });
    expect(bad.status).toBe(400);
    const notUuid = await post(superJar, "/admin/developers", { intent: "status", id: "not-a-uuid", status: "approved" });
    expect(notUuid.status).toBe(404);
  });

  it("revoking a developer removes their applications' ACLs and bumps the config version", async () => {
    const devId = await developer("grace@example.com", "approved");
    const idp = await cp.cp.db.selectFrom("idp_connections").select("id").where("mode", "=", "builtin").executeTakeFirstOrThrow();
    const serviceId = crypto.randomUUID();
    const consumerId = crypto.randomUUID();
    await cp.cp.db.insertInto("services").values({ id: serviceId, name: "svc-" + serviceId.slice(0, 8), host: "127.0.0.1" }).execute();
    await cp.cp.db.insertInto("consumers").values({ id: consumerId, custom_id: "grace-client", type: "application", idp_connection_id: idp.id }).execute();
    await cp.cp.db
      .insertInto("applications")
      .values({ id: crypto.randomUUID(), developer_id: devId, name: "app", idp_connection_id: idp.id, client_id: "grace-client", consumer_id: consumerId, redirect_uris: json([]) })
      .execute();
    await cp.cp.db.insertInto("acls").values({ id: crypto.randomUUID(), consumer_id: consumerId, group: serviceId }).execute();
    const before = cp.cp.configEvents.version;
    expect((await post(superJar, "/admin/developers", { intent: "status", id: devId, status: "revoked" })).status).toBe(200);
    expect(await cp.cp.db.selectFrom("acls").select("id").where("consumer_id", "=", consumerId).execute()).toEqual([]);
    expect(cp.cp.configEvents.version).toBe(before + 1);
    const v = await cp.cp.db.selectFrom("config_version").select("version").executeTakeFirstOrThrow();
    expect(v.version).toBe(before + 1);

    expect((await post(superJar, "/admin/developers", { intent: "delete", id: devId })).status).toBe(200);
    expect(await cp.cp.db.selectFrom("developers").select("id").where("id", "=", devId).executeTakeFirst()).toBeUndefined();
    expect(await cp.cp.db.selectFrom("consumers").select("id").where("id", "=", consumerId).executeTakeFirst()).toBeUndefined();
  });

  it("enforces roles on the server and CSRF on every form", async () => {
    expect(
      (await post(superJar, "/admin/admins", { intent: "create", email: "viewer@example.com", role: "read-only", password: "viewer-password-1" })).status,
    ).toBe(200);
    expect(
      (await post(superJar, "/admin/admins", { intent: "create", email: "ops@example.com", role: "admin", password: "ops-password-123" })).status,
    ).toBe(200);
    const viewer = await logIn("viewer@example.com", "viewer-password-1");
    const ops = await logIn("ops@example.com", "ops-password-123");
    const target = await developer("target@example.com");

    // read-only sees the page, without action buttons, and every action is refused
    const page = await viewer.fetch(`${cp.portal}/admin/developers`);
    const html = await page.text();
    expect(html).toContain("target@example.com");
    expect(html).not.toContain('data-intent="status"');
    const refused = await viewer.fetch(`${cp.portal}/admin/developers`, form({ _csrf: csrfFrom(html), intent: "status", id: target, status: "approved" }));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("admin role");
    // admin decides developers, but settings and admins need super-admin
    expect((await post(ops, "/admin/developers", { intent: "status", id: target, status: "approved" })).status).toBe(200);
    expect((await post(ops, "/admin/settings", { "portal.name": "Hacked" })).status).toBe(403);
    expect((await post(ops, "/admin/admins", { intent: "create", email: "x@example.com", role: "super-admin", password: "whatever-password" })).status).toBe(403);
    expect(await cp.cp.settings.get("portal.name")).toBe("Gatehouse");

    // no CSRF token, or another session's token: 403, nothing changes
    const other = await developer("other@example.com");
    const noToken = await superJar.fetch(`${cp.portal}/admin/developers`, form({ intent: "status", id: other, status: "approved" }));
    expect(noToken.status).toBe(403);
    const viewerToken = csrfFrom(await (await viewer.fetch(`${cp.portal}/admin/developers`)).text());
    const foreign = await superJar.fetch(`${cp.portal}/admin/developers`, form({ _csrf: viewerToken, intent: "status", id: other, status: "approved" }));
    expect(foreign.status).toBe(403);
    const row = await cp.cp.db.selectFrom("developers").select("status").where("id", "=", other).executeTakeFirstOrThrow();
    expect(row.status).toBe("requested");
  });

  it("changes portal settings as super-admin", async () => {
    const res = await post(superJar, "/admin/settings", { "portal.name": "Acme APIs", "portal.developer_auto_approve": "" });
    expect(res.status).toBe(200);
    expect(await cp.cp.settings.get("portal.name")).toBe("Acme APIs");
    expect(await cp.cp.settings.get("portal.developer_auto_approve")).toBe(false);
    const entry = await cp.cp.db.selectFrom("audit_log").selectAll().where("action", "=", "settings.update").executeTakeFirstOrThrow();
    expect(entry.details).toMatchObject({ "portal.name": { from: "Gatehouse", to: "Acme APIs" } });
  });

  it("shows the audit log newest first, filtered, and refuses to change it", async () => {
    const page = await superJar.fetch(`${cp.portal}/admin/audit?action=developer.`);
    const html = await page.text();
    const actions = [...html.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]);
    expect(actions.length).toBeGreaterThan(3);
    expect(actions.every((a) => a.startsWith("developer."))).toBe(true);
    expect(actions[0]).toBe("developer.approved"); // the newest developer entry: ops approved target
    const ids = (await cp.cp.db.selectFrom("audit_log").select("id").where("action", "like", "developer.%").orderBy("id", "desc").execute()).map((r) => r.id);
    expect(ids.length).toBe(actions.length);
    const byActor = await (await superJar.fetch(`${cp.portal}/admin/audit?actor=ops@example.com`)).text();
    expect(byActor).toContain("ops@example.com");
    expect(byActor).not.toContain("admin.bootstrap");
    // bad filter values are ignored, never a 500
    expect((await superJar.fetch(`${cp.portal}/admin/audit?before=abc&action=%25`)).status).toBe(200);
    await expect(cp.cp.db.deleteFrom("audit_log").execute()).rejects.toThrow(/append-only/);
  });

  it("lists the email outbox", async () => {
    await cp.cp.db
      .insertInto("email_outbox")
      .values({ to_address: "ada@example.com", subject: "Your access to Payments was approved", text_body: "Hello Ada", template: "registration-approved", status: "kept" })
      .execute();
    const html = await (await superJar.fetch(`${cp.portal}/admin/outbox`)).text();
    expect(html).toContain("Your access to Payments was approved");
    expect(html).toContain("Hello Ada");
    const sent = await (await superJar.fetch(`${cp.portal}/admin/outbox?status=sent`)).text();
    expect(sent).not.toContain("Hello Ada");
  });

  it("puts a service in the catalog, and decides registrations with a reason that reaches the developer", async () => {
    const serviceId = crypto.randomUUID();
    await cp.cp.db.insertInto("services").values({ id: serviceId, name: "payments", host: "127.0.0.1", port: 9 }).execute();
    const v0 = cp.cp.configEvents.version;
    const saved = await post(superJar, `/admin/services?id=${serviceId}`, {
      intent: "save", id: serviceId, display_name: "Payments API", description: "Move money", enabled: "on", show_issuer: "on",
    });
    expect(saved.status).toBe(200);
    expect(cp.cp.configEvents.version).toBe(v0 + 1);
    const plugin = await cp.cp.db.selectFrom("plugins").selectAll().where("service_id", "=", serviceId).executeTakeFirstOrThrow();
    expect(plugin.name).toBe("application-registration");
    expect(plugin.config).toEqual({
      display_name: "Payments API", description: "Move money", auto_approve: false, show_issuer: true, enable_proxy_with_consumer_credential: false,
    });
    // the plugin's schema refuses an empty display name, with the field named
    const bad = await post(superJar, `/admin/services?id=${serviceId}`, { intent: "save", id: serviceId, display_name: "" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("display_name");
    const spec = await post(superJar, `/admin/services?id=${serviceId}`, { intent: "spec", id: serviceId, filename: "payments.yaml", spec: "openapi: 3.0.0\ninfo: {title: Payments, version: '1'}\npaths: {}\n" });
    expect(spec.status).toBe(200);
    const notSpec = await post(superJar, `/admin/services?id=${serviceId}`, { intent: "spec", id: serviceId, spec: "hello: world" });
    expect(notSpec.status).toBe(400);
    expect((await cp.cp.db.selectFrom("service_specs").select("filename").where("service_id", "=", serviceId).executeTakeFirstOrThrow()).filename).toBe("payments.yaml");

    const devId = await developer("linus@example.com", "approved");
    const idp = await cp.cp.db.selectFrom("idp_connections").select("id").where("mode", "=", "builtin").executeTakeFirstOrThrow();
    const consumerId = crypto.randomUUID();
    const appId = crypto.randomUUID();
    await cp.cp.db.insertInto("consumers").values({ id: consumerId, custom_id: "linus-client", type: "application", idp_connection_id: idp.id }).execute();
    await cp.cp.db
      .insertInto("applications")
      .values({ id: appId, developer_id: devId, name: "kernel-bot", idp_connection_id: idp.id, client_id: "linus-client", consumer_id: consumerId, redirect_uris: json([]) })
      .execute();
    const { requestAccess } = await import("../../app/.server/registrations");
    const instance = await requestAccess(cp.cp, appId, serviceId, { type: "developer", id: devId, label: "linus@example.com" });
    expect(instance.status).toBe("pending");

    const pending = await (await superJar.fetch(`${cp.portal}/admin/registrations?status=pending`)).text();
    expect(pending).toContain("kernel-bot");
    expect(pending).toContain("Payments API");
    const acl = () => cp.cp.db.selectFrom("acls").select("group").where("consumer_id", "=", consumerId).execute();

    const v1 = cp.cp.configEvents.version;
    expect((await post(superJar, "/admin/registrations", { intent: "approve", id: instance.id })).status).toBe(200);
    expect(await acl()).toEqual([{ group: serviceId }]);
    expect(cp.cp.configEvents.version).toBe(v1 + 1);
    const apps = await (await superJar.fetch(`${cp.portal}/admin/applications?q=linus`)).text();
    expect(apps).toContain("kernel-bot");
    expect(apps).toContain("1 approved / 1");

    expect((await post(superJar, "/admin/registrations", { intent: "revoke", id: instance.id, reason: "Your key leaked in a public repo" })).status).toBe(200);
    expect(await acl()).toEqual([]);
    const row = await cp.cp.db.selectFrom("application_instances").selectAll().where("id", "=", instance.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "revoked", reason: "Your key leaked in a public repo", decided_by: "admin:admin@example.com" });
    const mail = await cp.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "linus@example.com").orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(mail.text_body).toContain("Your key leaked in a public repo");
    const outbox = await (await superJar.fetch(`${cp.portal}/admin/outbox`)).text();
    expect(outbox).toContain("Your key leaked in a public repo");

    // a read-only admin cannot approve; a bogus id is a 404, not a 500
    const viewer = await logIn("viewer@example.com", "viewer-password-1");
    expect((await post(viewer, "/admin/registrations", { intent: "approve", id: instance.id })).status).toBe(403);
    expect((await post(superJar, "/admin/registrations", { intent: "approve", id: "nope" })).status).toBe(404);
    expect(await acl()).toEqual([]);
  });

  it("adds IdP connections with the initial access token stored encrypted and never shown", async () => {
    const created = await post(superJar, "/admin/idp-connections", {
      intent: "create", name: "okta-prod", issuer: "https://example.okta.com/oauth2/default", mode: "dcr", provider: "okta",
      registration_endpoint: "https://example.okta.com/oauth2/v1/clients", initial_access_token: "iat-secret-value-123", application_claim: "", enabled: "on",
    });
    expect(created.status).toBe(200);
    const row = await cp.cp.db.selectFrom("idp_connections").selectAll().where("name", "=", "okta-prod").executeTakeFirstOrThrow();
    expect(row).toMatchObject({ mode: "dcr", provider: "okta", application_claim: "application_id" });
    expect(row.initial_access_token_enc).toBeTruthy();
    expect(row.initial_access_token_enc).not.toContain("iat-secret-value-123");
    const page = await (await superJar.fetch(`${cp.portal}/admin/idp-connections?id=${row.id}`)).text();
    expect(page).toContain("initial access token stored");
    expect(page).not.toContain("iat-secret-value-123");
    // edit: the application claim as Keycloak names it; an empty token field keeps the stored one
    const saved = await post(superJar, `/admin/idp-connections?id=${row.id}`, { intent: "update", id: row.id, name: "okta-prod", application_claim: "azp", registration_endpoint: row.registration_endpoint!, enabled: "on" });
    expect(saved.status).toBe(200);
    const after = await cp.cp.db.selectFrom("idp_connections").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow();
    expect(after.application_claim).toBe("azp");
    expect(after.initial_access_token_enc).toBe(row.initial_access_token_enc);
    // dcr without an endpoint, and a duplicate issuer, are refused with the field named
    const noEndpoint = await post(superJar, "/admin/idp-connections", { intent: "create", name: "x", issuer: "https://x.example.com", mode: "dcr", enabled: "on" });
    expect(noEndpoint.status).toBe(400);
    expect(await noEndpoint.text()).toContain("registration_endpoint");
    const dup = await post(superJar, "/admin/idp-connections", { intent: "create", name: "again", issuer: "https://example.okta.com/oauth2/default", mode: "manual", enabled: "on" });
    expect(dup.status).toBe(409);
    const ops = await logIn("ops@example.com", "ops-password-123");
    expect((await post(ops, "/admin/idp-connections", { intent: "create", name: "y", issuer: "https://y.example.com", mode: "manual" })).status).toBe(403);
  });

  it("edits templates into PORTAL_TEMPLATES_DIR only, inside it", async () => {
    const res = await post(superJar, "/admin/templates", { path: "emails/registration-approved.hbs", content: "Approved: {{service}}" });
    expect(res.status).toBe(200);
    expect(fs.readFileSync(path.join(templatesDir, "emails/registration-approved.hbs"), "utf8")).toBe("Approved: {{service}}");
    const html = await (await superJar.fetch(`${cp.portal}/admin/templates?path=emails/registration-approved.hbs`)).text();
    expect(html).toContain("Approved: {{service}}");
    const broken = await post(superJar, "/admin/templates", { path: "emails/sign-up.txt.hbs", content: "Subject: {{#if x}}unclosed" });
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain("does not compile");
    const escape = await post(superJar, "/admin/templates", { path: "../escape.hbs", content: "x" });
    expect(escape.status).toBe(400);
    expect(fs.existsSync(path.join(templatesDir, "..", "escape.hbs"))).toBe(false);
    expect((await superJar.fetch(`${cp.portal}/admin/templates?path=../../etc/passwd`)).status).toBe(200);
  });
});
