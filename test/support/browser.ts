/**
 * Headless Chromium through playwright-core (Debian's chromium; Playwright cannot
 * download a browser here). One browser per test file; a fresh context per flow.
 */
import { chromium, type Browser } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

/** Where tests save screenshots (git-ignored). */
export function screenshotPath(name: string): string {
  const dir = path.resolve(__dirname, "../../test-results/screenshots");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name.endsWith(".png") ? name : `${name}.png`);
}
