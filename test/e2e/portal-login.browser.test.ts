/** Sign-up and log-in in Chromium against the real portal, forms without JavaScript tricks. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, screenshotPath } from "../support/browser";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane";

describe("portal in Chromium", () => {
  let cp: TestControlPlane;
  let browser: Browser;
  beforeAll(async () => {
    [cp, browser] = await Promise.all([startTestControlPlane(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await cp?.stop();
  });

  it("signs up and logs in", async () => {
    const page = await browser.newPage();
    await page.goto(`${cp.portal}/signup`);
    await page.fill('input[name="full_name"]', "Grace Hopper");
    await page.fill('input[name="email"]', "grace@example.com");
    await page.fill('input[name="password"]', "cobol-forever-1959");
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/signup\/done$/);
    await page.goto(`${cp.portal}/login`);
    await page.fill('input[name="email"]', "grace@example.com");
    await page.fill('input[name="password"]', "wrong-password-x");
    await page.click('button[type="submit"]');
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toContain("not right");
    await page.fill('input[name="password"]', "cobol-forever-1959");
    await page.click('button[type="submit"]');
    await page.waitForURL(`${cp.portal}/`);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "gatehouse_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");
    await page.screenshot({ path: screenshotPath("portal-login") });
    await page.close();
  });
});
