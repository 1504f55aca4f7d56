/**
 * The developer flow through the portal JSON API (/api/v1) with curl-like
 * requests against the real portal: register, log in, list services and IdP
 * connections, create an application on the built-in issuer (secret once, and a
 * real token from /oauth2/token with it), request access (pending), rotate,
 * cancel, delete. Plus the API's security rules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { CookieJar, startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { publishService } from "../support/portal-fixtures";

describe.each(dbTargets())("portal JSON API on $name", (target) => {
  let cp: TestControlPlane;
  let demoId: string;
  beforeAll(async () => {
    cp = await startTestControlPlane({ target, demoUpstream: { host: "127.0.0.1", port: 9 } });
    demoId = (await cp.cp.db.selectFrom("services").select("id").where("name", "=", "demo").executeTakeFirstOrThrow()).id;
    await publishService(cp.cp, "demo", { display_name: "Demo API", description: "Echoes requests", auto_approve: false, show_issuer: true }, { oidc: { scopes_required: ["read"] } });
  });
  afterAll(async () => {
    await cp?.stop();
  });

  const send = (jar: CookieJar, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    jar.fetch(`${cp.portal}${path}`, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  async function token(clientId: string, secret: string): Promise<Response> {
    return fetch(`${cp.portal}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
  }

  async function developer(email: string): Promise<CookieJar> {
    const jar = new CookieJar();
    const reg = await send(jar, "POST", "/api/v1/register", { email, password: "a-long-password", full_name: email.split("@")[0] });
    expect(reg.status).toBe(201);
    const login = await send(jar, "POST", "/api/v1/login", { email, password: "a-long-password" });
    expect(login.status).toBe(200);
    return jar;
  }

  it("runs the whole developer flow", async () => {
    const jar = new CookieJar();
    const reg = await send(jar, "POST", "/api/v1/register", { email: "ada@example.com", password: "a-long-password", full_name: "Ada" });
    expect(reg.status).toBe(201);
    const regBody = (await reg.json()) as { id: string; status: string };
    expect(regBody.status).toBe("approved");

    expect((await send(jar, "GET", "/api/v1/applications")).status).toBe(401);
    const bad = await send(jar, "POST", "/api/v1/login", { email: "ada@example.com", password: "wrong-password!" });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { message: string }).message).toBe("The email or password is not right.");
    const login = await send(jar, "POST", "/api/v1/login", { email: "ada@example.com", password: "a-long-password" });
    expect(login.status).toBe(200);
    expect(login.headers.getSetCookie().some((c) => c.startsWith("gatehouse_session=") && /HttpOnly/.test(c) && /SameSite=Lax/.test(c))).toBe(true);

    const services = (await (await send(jar, "GET", "/api/v1/services")).json()) as { data: Record<string, unknown>[] };
    const demo = services.data.find((s) => s.id === demoId)!;
    expect(demo).toMatchObject({
      name: "demo",
      display_name: "Demo API",
      description: "Echoes requests",
      issuer: cp.cp.urls.issuer,
      token_endpoint: `${cp.cp.urls.issuer}/token`,
      scopes: ["read"],
    });
    expect(demo.auth_methods).toEqual(expect.any(Array));
    // the issuer is an issuer identifier: its discovery document resolves
    const disc = await fetch(`${cp.portal}/oauth2/.well-known/openid-configuration`);
    expect(((await disc.json()) as { issuer: string }).issuer).toBe(demo.issuer);

    const conns = (await (await send(jar, "GET", "/api/v1/idp-connections")).json()) as { data: { id: string; mode: string; issuer: string }[] };
    expect(conns.data).toEqual([expect.objectContaining({ mode: "builtin", issuer: cp.cp.urls.issuer, name: "built-in" })]);

    const created = await send(jar, "POST", "/api/v1/applications", { name: "My CLI", description: "for CI" });
    expect(created.status).toBe(201);
    const app = (await created.json()) as { id: string; name: string; client_id: string; client_secret: string; client_status: string };
    expect(app).toMatchObject({ name: "My CLI", client_status: "active" });
    expect(app.client_id).toBeTruthy();
    expect(app.client_secret).toBeTruthy();
    // the secret is not shown again
    const again = (await (await send(jar, "GET", `/api/v1/applications/${app.id}`)).json()) as Record<string, unknown>;
    expect(again.client_secret).toBeUndefined();
    expect(again.client_id).toBe(app.client_id);
    // and it works at the built-in issuer
    const tok = await token(app.client_id, app.client_secret);
    expect(tok.status).toBe(200);
    expect(((await tok.json()) as { access_token: string }).access_token).toBeTruthy();

    const list = (await (await send(jar, "GET", "/api/v1/applications")).json()) as { data: { id: string }[] };
    expect(list.data.map((a) => a.id)).toEqual([app.id]);

    const rq = await send(jar, "POST", `/api/v1/applications/${app.id}/registrations`, { service_id: demoId });
    expect(rq.status).toBe(201);
    const inst = (await rq.json()) as { id: string; status: string; service_id: string };
    expect(inst).toMatchObject({ status: "pending", service_id: demoId });
    const regs = (await (await send(jar, "GET", `/api/v1/applications/${app.id}/registrations`)).json()) as { data: { id: string; status: string }[] };
    expect(regs.data).toEqual([expect.objectContaining({ id: inst.id, status: "pending" })]);
    const dup = await send(jar, "POST", `/api/v1/applications/${app.id}/registrations`, { service_id: demoId });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { fields: Record<string, string> }).fields.service_id).toBeTruthy();

    const patched = await send(jar, "PATCH", `/api/v1/applications/${app.id}`, { description: "renamed", name: "My CLI 2" });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { name: string }).name).toBe("My CLI 2");

    const rot = await send(jar, "POST", `/api/v1/applications/${app.id}/rotate-secret`);
    expect(rot.status).toBe(200);
    const { client_secret: newSecret } = (await rot.json()) as { client_secret: string };
    expect(newSecret).not.toBe(app.client_secret);
    expect((await token(app.client_id, newSecret)).status).toBe(200);
    expect((await token(app.client_id, app.client_secret)).status).toBe(200); // grace period

    expect((await send(jar, "DELETE", `/api/v1/applications/${app.id}/registrations/${inst.id}`)).status).toBe(204);
    expect((await send(jar, "DELETE", `/api/v1/applications/${app.id}`)).status).toBe(204);
    expect((await send(jar, "GET", `/api/v1/applications/${app.id}`)).status).toBe(404);
    await cp.cp.portal.outbox.runDue();
    expect((await token(app.client_id, newSecret)).status).toBe(401);

    expect((await send(jar, "POST", "/api/v1/logout")).status).toBe(204);
    expect((await send(jar, "GET", "/api/v1/applications")).status).toBe(401);
  });

  it("answers JSON errors with field names", async () => {
    const jar = await developer("fields@example.com");
    const r = await send(jar, "POST", "/api/v1/applications", { name: "", redirect_uris: ["http://evil.example/cb"] });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { message: string; fields: Record<string, string> };
    expect(Object.keys(body.fields).sort()).toEqual(["name", "redirect_uris"]);
    const reg = await send(new CookieJar(), "POST", "/api/v1/register", { email: "nope", password: "short" });
    expect(reg.status).toBe(400);
    expect(Object.keys(((await reg.json()) as { fields: object }).fields).sort()).toEqual(["email", "full_name", "password"]);
    // the sign-up fields an admin configures are checked with the rest
    await cp.cp.settings.set("portal.developer_meta_fields", [{ name: "company", label: "Company", required: true }]);
    try {
      const noCompany = await send(new CookieJar(), "POST", "/api/v1/register", { email: "meta@example.com", password: "a-long-password", full_name: "M" });
      expect(noCompany.status).toBe(400);
      expect(((await noCompany.json()) as { fields: object }).fields).toEqual({ "meta.company": "Company is required" });
      const withCompany = await send(new CookieJar(), "POST", "/api/v1/register", { email: "meta@example.com", password: "a-long-password", full_name: "M", meta: { company: "ACME", other: "dropped" } });
      expect(withCompany.status).toBe(201);
      const dev = await cp.cp.db.selectFrom("developers").select("meta").where("email", "=", "meta@example.com").executeTakeFirstOrThrow();
      expect(dev.meta).toEqual({ company: "ACME" });
    } finally {
      await cp.cp.settings.set("portal.developer_meta_fields", []);
    }
    const unknown = await send(jar, "GET", "/api/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/json/);
  });

  it("refuses cross-origin and non-JSON writes", async () => {
    const jar = await developer("origin@example.com");
    const cross = await send(jar, "POST", "/api/v1/applications", { name: "x" }, { origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    const form = await jar.fetch(`${cp.portal}/api/v1/applications`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "name=x" });
    expect(form.status).toBe(415);
    const text = await jar.fetch(`${cp.portal}/api/v1/applications`, { method: "POST", headers: { "content-type": "text/plain" }, body: '{"name":"x"}' });
    expect(text.status).toBe(415);
    const same = await send(jar, "POST", "/api/v1/applications", { name: "same-origin" }, { origin: new URL(cp.cp.urls.public).origin });
    expect(same.status).toBe(201);
    const apps = (await (await send(jar, "GET", "/api/v1/applications")).json()) as { data: { name: string }[] };
    expect(apps.data.map((a) => a.name)).toEqual(["same-origin"]);
  });

  it("one developer cannot read or change another's applications (404)", async () => {
    const alice = await developer("alice@example.com");
    const bob = await developer("bob@example.com");
    const app = (await (await send(alice, "POST", "/api/v1/applications", { name: "alice-app" })).json()) as { id: string };
    expect((await send(bob, "GET", `/api/v1/applications/${app.id}`)).status).toBe(404);
    expect((await send(bob, "PATCH", `/api/v1/applications/${app.id}`, { name: "pwned" })).status).toBe(404);
    expect((await send(bob, "DELETE", `/api/v1/applications/${app.id}`)).status).toBe(404);
    expect((await send(bob, "POST", `/api/v1/applications/${app.id}/rotate-secret`)).status).toBe(404);
    expect((await send(bob, "GET", `/api/v1/applications/${app.id}/registrations`)).status).toBe(404);
    expect((await send(bob, "POST", `/api/v1/applications/${app.id}/registrations`, { service_id: demoId })).status).toBe(404);
    const mine = (await (await send(alice, "GET", `/api/v1/applications/${app.id}`)).json()) as { name: string };
    expect(mine.name).toBe("alice-app");
  });

  it("sign-up with an existing email does not reveal it", async () => {
    const jar = new CookieJar();
    const first = await send(jar, "POST", "/api/v1/register", { email: "taken@example.com", password: "a-long-password", full_name: "T" });
    const second = await send(jar, "POST", "/api/v1/register", { email: "Taken@Example.com", password: "another-password", full_name: "Eve" });
    expect(first.status).toBe(second.status);
    const a = (await first.json()) as Record<string, unknown>;
    const b = (await second.json()) as Record<string, unknown>;
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(a.status).toBe(b.status);
    // the original password still works, the attacker's does not
    expect((await send(new CookieJar(), "POST", "/api/v1/login", { email: "taken@example.com", password: "a-long-password" })).status).toBe(200);
    expect((await send(new CookieJar(), "POST", "/api/v1/login", { email: "taken@example.com", password: "another-password" })).status).toBe(401);
  });

  it("admin approval and email verification gate log-in", async () => {
    await cp.cp.settings.set("portal.developer_auto_approve", false);
    await cp.cp.settings.set("portal.email_verification", true);
    try {
      const jar = new CookieJar();
      const reg = await send(jar, "POST", "/api/v1/register", { email: "wait@example.com", password: "a-long-password", full_name: "Waiting" });
      expect(((await reg.json()) as { status: string }).status).toBe("requested");
      const waiting = await send(jar, "POST", "/api/v1/login", { email: "wait@example.com", password: "a-long-password" });
      expect(waiting.status).toBe(403);
      expect(((await waiting.json()) as { message: string }).message).toMatch(/waiting for an administrator/);

      const { setDeveloperStatus } = await import("../../app/.server/registrations");
      const dev = await cp.cp.db.selectFrom("developers").select("id").where("email", "=", "wait@example.com").executeTakeFirstOrThrow();
      await setDeveloperStatus(cp.cp, dev.id, "approve", { type: "admin", label: "admin@example.com" }, { reason: "welcome" });
      const approved = await cp.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "wait@example.com").where("template", "=", "developer-approved").executeTakeFirstOrThrow();
      expect(approved.text_body).toContain("welcome");

      const unverified = await send(jar, "POST", "/api/v1/login", { email: "wait@example.com", password: "a-long-password" });
      expect(unverified.status).toBe(403);
      expect(((await unverified.json()) as { message: string }).message).toMatch(/Confirm your email/);
      const welcome = await cp.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "wait@example.com").where("template", "=", "sign-up").executeTakeFirstOrThrow();
      const link = /(https?:\/\/\S+\/verify-email\?token=\S+)/.exec(welcome.text_body)![1];
      const verified = await fetch(`${cp.portal}${new URL(link).pathname}${new URL(link).search}`);
      expect(await verified.text()).toContain("Email confirmed");
      expect((await send(jar, "POST", "/api/v1/login", { email: "wait@example.com", password: "a-long-password" })).status).toBe(200);
    } finally {
      await cp.cp.settings.set("portal.developer_auto_approve", true);
      await cp.cp.settings.set("portal.email_verification", false);
    }
  });

  it("throttles log-in attempts per account", async () => {
    await developer("slow@example.com");
    for (let i = 0; i < 5; i++) expect((await send(new CookieJar(), "POST", "/api/v1/login", { email: "slow@example.com", password: "wrong-password-" + i })).status).toBe(401);
    const blocked = await send(new CookieJar(), "POST", "/api/v1/login", { email: "slow@example.com", password: "a-long-password" });
    expect(blocked.status).toBe(429);
    // the same for an address with no account: the answer reveals nothing
    for (let i = 0; i < 5; i++) await send(new CookieJar(), "POST", "/api/v1/login", { email: "ghost@example.com", password: "wrong-password-" + i });
    expect((await send(new CookieJar(), "POST", "/api/v1/login", { email: "ghost@example.com", password: "x-long-password" })).status).toBe(429);
  });
});
