/**
 * The developer flow in Chromium against the real portal: sign up
 * (auto-approved), log in, create an application on the built-in issuer, copy its
 * one-time secret (and prove it works at /oauth2/token), request access to the demo
 * API and see it pending. Screenshots go to test-results/screenshots/.
 * Also: a script in an application name stays inert; the forms work without
 * JavaScript and on a phone-sized screen.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, screenshotPath } from "../support/browser";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { publishService } from "../support/portal-fixtures";

describe("developer flow in Chromium", () => {
  let cp: TestControlPlane;
  let browser: Browser;
  beforeAll(async () => {
    [cp, browser] = await Promise.all([startTestControlPlane({ demoUpstream: { host: "127.0.0.1", port: 9 } }), launchChromium()]);
    await publishService(cp.cp, "demo", { display_name: "Demo API", description: "Echoes what it receives.", auto_approve: false, show_issuer: true });
  });
  afterAll(async () => {
    await browser?.close();
    await cp?.stop();
  });

  async function signUpAndLogIn(page: import("playwright-core").Page, name: string, email: string) {
    await page.goto(`${cp.portal}/signup`);
    await page.fill('input[name="full_name"]', name);
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', "correct-horse-battery");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/signup\/done$/);
    await page.goto(`${cp.portal}/login?redirectTo=/applications`);
    await page.fill('input[name="email"]', email);
    await page.fill('input[name="password"]', "correct-horse-battery");
    await page.click('form:has(input[name="password"]) button[type="submit"]');
    await page.waitForURL(`${cp.portal}/applications`);
  }

  it("signs up, logs in, creates an application, copies its secret, requests access and sees it pending", async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: cp.portal });
    const page = await context.newPage();
    await signUpAndLogIn(page, "Katherine Johnson", "katherine@example.com");
    const dev = await cp.cp.db.selectFrom("developers").select("status").where("email", "=", "katherine@example.com").executeTakeFirstOrThrow();
    expect(dev.status).toBe("approved"); // auto-approval (the default setting)
    await page.screenshot({ path: screenshotPath("flow-1-applications-empty"), fullPage: true });

    await page.fill("#app-name", "Orbit calculator");
    await page.fill("#app-description", "Computes trajectories");
    await page.click('button:has-text("Create application")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    const secretBox = page.locator("#client-secret");
    await expect.poll(() => secretBox.count()).toBe(1);
    await page.screenshot({ path: screenshotPath("flow-2-one-time-secret"), fullPage: true });
    const secret = await secretBox.inputValue();
    const clientId = (await page.locator("#client-id").textContent())!.trim();
    expect(secret.length).toBeGreaterThan(30);
    await page.click('button[aria-label="Copy Client secret"]');
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // the copied credentials work at the built-in issuer
    const tok = await fetch(`${cp.portal}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    expect(tok.status).toBe(200);

    // shown once: a reload no longer has it
    await page.reload();
    expect(await page.locator("#client-secret").count()).toBe(0);

    // the catalog, with how to call the API
    await page.goto(`${cp.portal}/services`);
    await page.click('a:has-text("Demo API")');
    await page.waitForURL(/\/services\/[0-9a-f-]{36}$/);
    expect(await page.locator("main").textContent()).toContain(`${cp.cp.urls.issuer}/token`);
    expect(await page.locator("main").textContent()).toContain("Echo the request"); // the OpenAPI spec rendered
    await page.screenshot({ path: screenshotPath("flow-3-catalog-demo"), fullPage: true });
    await page.selectOption('select[name="application_id"]', { label: "Orbit calculator" });
    await page.click('button:has-text("Request access")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    const row = page.locator('tr[data-registration="demo"]');
    await expect.poll(() => row.locator(".badge").textContent()).toBe("pending");
    await page.screenshot({ path: screenshotPath("flow-4-access-pending"), fullPage: true });

    const inst = await cp.cp.db.selectFrom("application_instances").select("status").executeTakeFirstOrThrow();
    expect(inst.status).toBe("pending");
    await context.close();
  });

  it("renders a script in an application name inert", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    await signUpAndLogIn(page, "Mallory <b>Bold</b>", "mallory@example.com");
    const evil = `<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>`;
    await page.fill("#app-name", evil);
    await page.click('button:has-text("Create application")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    await expect.poll(() => page.locator("h1").textContent()).toBe(evil);
    await page.goto(`${cp.portal}/applications`);
    expect(await page.getByRole("link", { name: evil, exact: true }).count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("img[src=x]").count()).toBe(0);
    expect(dialogs).toBe(0);
    await page.screenshot({ path: screenshotPath("flow-5-script-inert"), fullPage: true });
    await context.close();
  });

  it("works without JavaScript and on a phone", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 740 }, isMobile: true });
    const page = await context.newPage();
    await signUpAndLogIn(page, "Phone User", "phone@example.com");
    await page.fill("#app-name", "No-JS app");
    await page.click('button:has-text("Create application")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    expect(await page.locator("#client-secret").inputValue()).toBeTruthy();
    await page.selectOption('select[name="service_id"]', { label: "Demo API" });
    await page.click('button:has-text("Request access")');
    await page.waitForURL(/\/applications\/[0-9a-f-]{36}$/);
    expect(await page.locator('tr[data-registration="demo"] .badge').textContent()).toBe("pending");
    // nothing overflows the phone's width
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: screenshotPath("flow-6-phone-no-js"), fullPage: true });
    await context.close();
  });
});
