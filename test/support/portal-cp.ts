/**
 * A control plane composed in the test process WITHOUT its HTTP listeners (no
 * Remix build needed): for service-level tests of the portal's modules.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { createLogger } from "../../lib/log";
import { ensureBuiltinIdpConnection } from "../../app/.server/bootstrap";
import { createControlPlane, type ControlPlane } from "../../app/.server/context";
import type { DbTarget, TestDb } from "./db";

export interface ComposedControlPlane {
  cp: ControlPlane;
  database: TestDb;
  stop(): Promise<void>;
}

export async function composeControlPlane(target: DbTarget, env: Record<string, string> = {}): Promise<ComposedControlPlane> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-portal-"));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent", ...env });
  const database = await target.open();
  const log = createLogger({ level: config.logLevel, format: "pretty", component: "cp" });
  const urls = { public: "http://localhost:3000", proxy: "http://localhost:8000", issuer: "http://localhost:3000/oauth2" };
  const secret = "test-master-secret-test-master-secret-0123";
  const cp = await createControlPlane({ config, urls, log, database, secrets: { secret, adminToken: "a".repeat(32), clusterToken: "c".repeat(32) } });
  await ensureBuiltinIdpConnection(database.db, urls.issuer, log);
  return {
    cp,
    database,
    async stop() {
      await cp.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function insertDeveloper(cp: ControlPlane, email: string) {
  return cp.db
    .insertInto("developers")
    .values({ id: crypto.randomUUID(), email, full_name: "Dev " + email, password_hash: "x", status: "approved" })
    .returningAll()
    .executeTakeFirstOrThrow();
}
