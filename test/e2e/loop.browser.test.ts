/**
 * The whole loop, as the product promises it: in Chromium a developer signs up;
 * the developer's application (built-in issuer) requests access to the seeded
 * demo API; a client_credentials token from the issuer gets 403 "registration
 * pending" at the gateway (a real data plane syncing from the control plane);
 * an admin approves in /admin and within one second the same call gets 200
 * with the application's headers upstream; the admin revokes (with a reason
 * the developer gets by email) and within one second it is 403 again.
 * Then the approval-to-enforcement time over 20 trials, printed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, screenshotPath } from "../support/browser";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { startEchoUpstream, startTestGateway, type EchoUpstream, type TestGateway } from "../support/gateway";
import { approveInstance, revokeInstance } from "../../app/.server/registrations";
import { callGateway, clientCredentialsToken, stats, until, waitForAnswer } from "./loop-support";

describe("the whole loop: portal, /admin, built-in issuer, gateway", () => {
  let upstream: EchoUpstream;
  let cp: TestControlPlane;
  let gw: TestGateway;
  let browser: Browser;
  let demoUrl: string;
  let token: string;
  let app: { id: string; client_id: string; secret: string; instanceId: string };

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    [cp, browser] = await Promise.all([startTestControlPlane({ demoUpstream: { host: upstream.host, port: upstream.port } }), launchChromium()]);
    gw = await startTestGateway({ controlPlane: cp.cluster, env: { CLUSTER_TOKEN: cp.cp.secrets.clusterToken }, pollWaitSeconds: 30 });
    demoUrl = `${gw.url}/demo/hello`;
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await cp?.stop();
    await upstream?.stop();
  });

  it("seeds the demo API with openid-connect on the built-in issuer and application-registration", async () => {
    const plugins = await cp.cp.db
      .selectFrom("plugins")
      .innerJoin("services", "services.id", "plugins.service_id")
      .select(["plugins.name", "plugins.config"])
      .where("services.name", "=", "demo")
      .orderBy("plugins.name")
      .execute();
    expect(plugins.map((p) => p.name)).toEqual(["application-registration", "openid-connect"]);
    expect(plugins[1].config).toMatchObject({ issuer: cp.cp.urls.issuer, auth_methods: ["bearer", "client_credentials"] });
    // without a token the demo API refuses
    const res = await fetch(demoUrl);
    expect(res.status).toBe(401);
  });

  it("signs up in Chromium, creates an application, requests access, and is refused while pending", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${cp.portal}/signup`);
    await page.fill('input[name="full_name"]', "Margaret Hamilton");
    await page.fill('input[name="email"]', "margaret@example.com");
    await page.fill('input[name="password"]', "apollo-guidance-11");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/signup\/done$/);
    await page.goto(`${cp.portal}/login?redirectTo=/applications`);
    await page.fill('input[name="email"]', "margaret@example.com");
    await page.fill('input[name="password"]', "apollo-guidance-11");
    await page.click('form:has(input[name="password"]) button[type="submit"]');
    await page.waitForURL(`${cp.portal}/applications`);

    await page.fill("#app-name", "lunar-module");
    await page.click('button:has-text("Create application")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    const secretBox = page.locator("#client-secret");
    await expect.poll(() => secretBox.count()).toBe(1);
    const secret = await secretBox.inputValue();
    const clientId = (await page.locator("#client-id").textContent())!.trim();
    const appId = page.url().split("/").pop()!;

    // the seeded demo API is in the catalog: request access from its page
    await page.goto(`${cp.portal}/services`);
    await page.click('a:has-text("Demo API")');
    await page.waitForURL(/\/services\/[0-9a-f-]{36}$/);
    await page.selectOption('select[name="application_id"]', { label: "lunar-module" });
    await page.click('button:has-text("Request access")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.locator('tr[data-registration="demo"] .badge').textContent()).toBe("pending");
    await page.screenshot({ path: screenshotPath("loop-developer-pending"), fullPage: true });
    await context.close();

    const instance = await cp.cp.db.selectFrom("application_instances").selectAll().where("application_id", "=", appId).executeTakeFirstOrThrow();
    expect(instance.status).toBe("pending");
    app = { id: appId, client_id: clientId, secret, instanceId: instance.id };

    token = await clientCredentialsToken(`${cp.portal}/oauth2/token`, app.client_id, app.secret);
    const { answer } = await waitForAnswer(demoUrl, token, (a) => a.body.reason !== "unknown_application");
    expect(answer.status).toBe(403);
    expect(answer.body.message).toMatch(/^registration pending/);
    expect(answer.body.message).toContain("lunar-module");
  });

  it("approves in /admin: within a second the call passes with the application's headers; revokes: refused within a second", async () => {
    const page = await browser.newPage();
    await page.goto(`${cp.portal}/admin/registrations?status=pending`);
    await page.waitForURL(/\/admin\/login/);
    await page.fill('input[name="email"]', "admin@example.com");
    await page.fill('input[name="password"]', "admin-password-123");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/admin\/registrations/);
    const row = page.locator('tr[data-registration="lunar-module@demo"]');
    await expect.poll(() => row.count()).toBe(1);
    await page.screenshot({ path: screenshotPath("loop-admin-pending") });

    const clickedAt = performance.now();
    await row.locator('button[data-intent="approve"]').click();
    const approved = await waitForAnswer(demoUrl, token, (a) => a.status === 200, clickedAt);
    const enforcedAt = Date.now();
    // the approval happened when its transaction committed: the audit entry's time (same machine clock)
    const approval = await cp.cp.db.selectFrom("audit_log").select("at").where("action", "=", "application_instance.approve").where("target_id", "=", app.instanceId).executeTakeFirstOrThrow();
    const approvalToEnforced = enforcedAt - approval.at.getTime();
    console.log(`[loop] /admin approve: click -> 200 at the gateway ${Math.round(approved.ms)} ms; committed approval -> 200 ${approvalToEnforced} ms`);
    expect(approvalToEnforced).toBeLessThan(1000);
    const h = approved.answer.body.headers!;
    expect(h["x-application-id"]).toBe(app.id);
    expect(h["x-application-name"]).toBe("lunar-module");
    expect(h["x-consumer-custom-id"]).toBe(app.client_id);
    expect(h["x-consumer-id"]).toBeTruthy();
    await expect.poll(() => page.locator('[role="status"]').textContent()).toContain("Approved");

    // the approved registration left the "pending" list: revoke it from the full list
    await page.goto(`${cp.portal}/admin/registrations`);
    await expect.poll(() => row.locator('button[data-intent="revoke"]').count()).toBe(1);
    await row.locator('input[name="reason"]').fill("Telemetry shows abuse of the demo API");
    const revokeClickedAt = performance.now();
    await row.locator('button[data-intent="revoke"]').click();
    const revoked = await waitForAnswer(demoUrl, token, (a) => a.status === 403, revokeClickedAt);
    const refusedAt = Date.now();
    const revocation = await cp.cp.db.selectFrom("audit_log").select("at").where("action", "=", "application_instance.revoke").where("target_id", "=", app.instanceId).executeTakeFirstOrThrow();
    console.log(`[loop] /admin revoke: click -> 403 at the gateway ${Math.round(revoked.ms)} ms; committed revocation -> 403 ${refusedAt - revocation.at.getTime()} ms`);
    expect(refusedAt - revocation.at.getTime()).toBeLessThan(1000);
    expect(revoked.answer.body.reason).toBe("registration_revoked");
    expect(revoked.answer.body.message).toMatch(/^registration revoked/);
    await page.screenshot({ path: screenshotPath("loop-admin-revoked") });
    await page.close();

    const mail = await until(() =>
      cp.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "margaret@example.com").where("template", "=", "registration-revoked").executeTakeFirst(),
    );
    expect(mail.text_body).toContain("Telemetry shows abuse of the demo API");
  });

  it("measures approval-to-enforcement over 20 trials", async () => {
    const admin = { type: "admin" as const, label: "measure" };
    const approve: number[] = [];
    const revoke: number[] = [];
    for (let i = 0; i < 20; i++) {
      let t0 = performance.now();
      await approveInstance(cp.cp, app.instanceId, admin);
      approve.push((await waitForAnswer(demoUrl, token, (a) => a.status === 200, t0)).ms);
      t0 = performance.now();
      await revokeInstance(cp.cp, app.instanceId, admin);
      revoke.push((await waitForAnswer(demoUrl, token, (a) => a.status === 403, t0)).ms);
    }
    const a = stats(approve);
    const r = stats(revoke);
    console.log(`[loop] approval -> enforced (200) over ${a.n} trials: median ${a.median} ms, worst ${a.worst} ms, best ${a.best} ms`);
    console.log(`[loop] revoke -> enforced (403) over ${r.n} trials: median ${r.median} ms, worst ${r.worst} ms, best ${r.best} ms`);
    expect(a.worst).toBeLessThan(1000);
    expect(r.worst).toBeLessThan(1000);
    expect((await callGateway(demoUrl, token)).status).toBe(403);
  });
});
