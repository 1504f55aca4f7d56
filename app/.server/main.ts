/**
 * Runs the control plane: takes the data directory lock, opens and migrates the
 * database, bootstraps the first admin, composes the services once and serves
 * the portal, the Admin API and the cluster listener.
 */
import http from "node:http";
import path from "node:path";
import { formatListen, resolveProxyUrl, resolvePublicUrl, type Config, type Listen } from "../../lib/config";
import type { Logger } from "../../lib/log";
import { createAdminHandler } from "./admin-api/server";
import { ensureBuiltinIdpConnection, ensureFirstAdmin, seedDemo, type FirstAdmin } from "./bootstrap";
import { createClusterHandler } from "./cluster/server";
import { createControlPlane, type ControlPlane } from "./context";
import { openDatabase, type Db } from "./db/index";
import { migrateToLatest } from "./db/migrate";
import { createPortalHandler } from "./http/portal";
import { closeServer, listen } from "./http/util";
import { acquireLock } from "./lock";
import { loadSecrets } from "./secrets";

export interface ControlPlaneOptions {
  config: Config;
  log: Logger;
  /** `gatehouse start` passes the demo upstream's address to seed the demo API. */
  demoUpstream?: { host: string; port: number };
  /** Tests may hand in an open database; otherwise DATABASE_URL or $DATA_DIR/pglite. */
  database?: Db;
}

export interface RunningControlPlane {
  cp: ControlPlane;
  addresses: { portal: Listen; admin: Listen; cluster: Listen };
  firstAdmin?: FirstAdmin;
  stop(): Promise<void>;
}

function lateHandler(): { server: http.Server; set(h: http.RequestListener): void } {
  let handler: http.RequestListener | undefined;
  const server = http.createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
    res.end(JSON.stringify({ message: "starting" }));
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 10_000;
  return { server, set: (h) => (handler = h) };
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<RunningControlPlane> {
  const { config, log } = opts;
  const lock = acquireLock(config.dataDir);
  const servers: http.Server[] = [];
  let database: Db | undefined = opts.database;
  let cp: ControlPlane | undefined;
  try {
    database ??= await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite") });
    log.info("database open", { dialect: database.dialect, location: database.location });
    const secrets = loadSecrets(config, log);
    const applied = await migrateToLatest(database.db);
    if (applied.length) log.info("migrations applied", { applied });

    // The portal listens first so that an unset PUBLIC_URL can follow the bound port.
    const portal = lateHandler();
    servers.push(portal.server);
    const portalPort = await listen(portal.server, config.listen.portal.host, config.listen.portal.port);
    const publicUrl = resolvePublicUrl(config, portalPort);
    const urls = { public: publicUrl, proxy: resolveProxyUrl(config), issuer: `${publicUrl}/oauth2` };

    cp = await createControlPlane({ config, urls, log, database, secrets });
    const firstAdmin = await ensureFirstAdmin(database.db, { email: config.adminEmail, password: config.adminPassword });
    await ensureBuiltinIdpConnection(database.db, urls.issuer, log, config.issuer.applicationClaim);
    if (opts.demoUpstream) {
      const r = await seedDemo(database.db, cp.configEvents, opts.demoUpstream);
      if (r !== "unchanged") log.info("demo API " + r, { upstream: formatListen(opts.demoUpstream) });
    }

    portal.set(await createPortalHandler(cp, { plain: [cp.issuer.handle] }));
    const admin = http.createServer(createAdminHandler(cp));
    const cluster = http.createServer(createClusterHandler(cp));
    servers.push(admin, cluster);
    const adminPort = await listen(admin, config.listen.admin.host, config.listen.admin.port);
    const clusterPort = await listen(cluster, config.listen.cluster.host, config.listen.cluster.port);

    const addresses = {
      portal: { host: config.listen.portal.host, port: portalPort },
      admin: { host: config.listen.admin.host, port: adminPort },
      cluster: { host: config.listen.cluster.host, port: clusterPort },
    };
    log.info("control plane ready", {
      portal: publicUrl,
      admin: formatListen(addresses.admin),
      cluster: formatListen(addresses.cluster),
      dialect: database.dialect,
    });
    let stopped = false;
    const running: RunningControlPlane = {
      cp,
      addresses,
      firstAdmin,
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all(servers.map((s) => closeServer(s)));
        await cp!.close();
        if (!opts.database) await database!.close();
        lock.release();
      },
    };
    return running;
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s, 0)));
    await cp?.close().catch(() => {});
    if (database && !opts.database) await database.close().catch(() => {});
    lock.release();
    throw err;
  }
}
