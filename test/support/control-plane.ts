/**
 * Runs a real control plane in the test process: portal (the Remix production
 * build: run `npm run build` first), Admin API and cluster listener on port 0,
 * on a fresh database (PGlite in memory by default, or any DbTarget).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { createLogger } from "../../lib/log";
import { startControlPlane, type RunningControlPlane } from "../../app/.server/main";
import { pgliteTarget, type DbTarget, type TestDb } from "./db";

export interface TestControlPlane extends RunningControlPlane {
  /** http://127.0.0.1:<port> of the portal (PUBLIC_URL is http://localhost:<port>). */
  portal: string;
  admin: string;
  cluster: string;
  dataDir: string;
  database: TestDb;
}

export async function startTestControlPlane(
  opts: { target?: DbTarget; env?: Record<string, string>; demoUpstream?: { host: string; port: number } } = {},
): Promise<TestControlPlane> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-cp-"));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORTAL_LISTEN: "127.0.0.1:0",
    ADMIN_LISTEN: "127.0.0.1:0",
    CLUSTER_LISTEN: "127.0.0.1:0",
    GATEHOUSE_SECRET: "test-master-secret-test-master-secret-0123",
    ADMIN_EMAIL: "admin@example.com",
    ADMIN_PASSWORD: "admin-password-123",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    ...opts.env,
  });
  const database = await (opts.target ?? pgliteTarget).open({ migrate: false });
  const running = await startControlPlane({
    config,
    log: createLogger({ level: config.logLevel, format: "pretty", component: "cp" }),
    database,
    demoUpstream: opts.demoUpstream,
  });
  const at = (p: number) => `http://127.0.0.1:${p}`;
  return {
    ...running,
    portal: at(running.addresses.portal.port),
    admin: at(running.addresses.admin.port),
    cluster: at(running.addresses.cluster.port),
    dataDir,
    database,
    async stop() {
      await running.stop();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A tiny cookie jar for fetch-driven portal tests. */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (/max-age=0/i.test(c) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", this.header());
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.store(res);
    return res;
  }
}

/** The value of the hidden `_csrf` field in a rendered page. */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF field in the page");
  return m[1];
}
