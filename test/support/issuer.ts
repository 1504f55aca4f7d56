/**
 * A control plane whose issuer answers on a plain HTTP server (no Remix build
 * needed): for tests of the issuer's plain endpoints (token, introspection,
 * revocation, registration, discovery).
 */
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../lib/config";
import { createLogger } from "../../lib/log";
import { createControlPlane, type ControlPlane } from "../../app/.server/context";
import { ensureBuiltinIdpConnection } from "../../app/.server/bootstrap";
import { closeServer, listen } from "../../app/.server/http/util";
import { pgliteTarget, type DbTarget, type TestDb } from "./db";

export interface IssuerHarness {
  cp: ControlPlane;
  /** http://localhost:<port> (PUBLIC_URL) */
  base: string;
  issuer: string;
  database: TestDb;
  stop(): Promise<void>;
}

export async function startIssuer(opts: { target?: DbTarget; env?: Record<string, string> } = {}): Promise<IssuerHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-iss-"));
  const late: { handler?: http.RequestListener } = {};
  const server = http.createServer((req, res) => (late.handler ? late.handler(req, res) : res.writeHead(503).end()));
  const port = await listen(server, "127.0.0.1", 0);
  const base = `http://localhost:${port}`;
  const config = loadConfig({
    DATA_DIR: dataDir,
    GATEHOUSE_SECRET: "test-master-secret-test-master-secret-0123",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    PUBLIC_URL: base,
    PROXY_URL: "http://localhost:18000",
    ...opts.env,
  });
  const database = await (opts.target ?? pgliteTarget).open();
  const log = createLogger({ level: config.logLevel, format: "pretty", component: "issuer" });
  const urls = { public: base, proxy: config.proxyUrl!, issuer: `${base}/oauth2` };
  await ensureBuiltinIdpConnection(database.db, urls.issuer, log);
  const cp = await createControlPlane({ config, urls, log, database, secrets: { secret: config.secret!, adminToken: "admin-token-0123456789", clusterToken: "cluster-token-0123456789" } });
  late.handler = async (req, res) => {
    try {
      if (!(await cp.issuer.handle(req, res))) res.writeHead(404).end("not an issuer path");
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  };
  return {
    cp,
    base,
    issuer: urls.issuer,
    database,
    async stop() {
      await closeServer(server, 0);
      await cp.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
