/**
 * The data plane: the proxy on PROXY_LISTEN and the status listener on
 * STATUS_LISTEN. Config comes from the control plane (hybrid, long poll, cached
 * on disk), from a declarative file (DB-less), or from the caller (tests pass a
 * snapshot and `apply` new ones). Until a config is loaded every proxied
 * request gets 503.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { Agent } from "undici";
import { ConfigError, type Config, type Listen } from "../lib/config";
import type { Logger } from "../lib/log";
import type { Snapshot } from "./contract/snapshot";
import { readSnapshotFile, SNAPSHOT_FILE, writeSnapshotFile } from "./cluster/cache";
import { ClusterClient } from "./cluster/client";
import { loadDeclarativeFile } from "./config/declarative";
import { createPluginRegistry } from "./plugins/registry";
import type { PluginHandler } from "./plugins/types";
import { Metrics } from "./proxy/metrics";
import { compileRuntime, type Runtime } from "./proxy/runtime";
import { createProxyHandler } from "./proxy/server";
import { Upstreams } from "./proxy/upstream";
import { createStatusHandler } from "./status/server";

export interface DataPlaneOptions {
  config: Config;
  log: Logger;
  /** Hybrid mode: the control plane's cluster listener, e.g. http://127.0.0.1:8005. */
  controlPlane?: string;
  /** DB-less mode: a Kong declarative file (_format_version "3.0"). */
  declarativeFile?: string;
  /** A snapshot to start with (tests, or embedding). */
  snapshot?: Snapshot;
  /** Extra plugin handlers (tests register small test plugins here). */
  plugins?: PluginHandler[];
  /** Where the hybrid snapshot cache lives (default $DATA_DIR/dp-snapshot.json). */
  cacheFile?: string;
  /** Long-poll hold time asked of the control plane, in seconds (default 30). */
  pollWaitSeconds?: number;
}

export interface RunningDataPlane {
  addresses: { proxy: Listen; status: Listen };
  /** Builds the new router and plugins aside, then swaps them in one step. */
  apply(snapshot: Snapshot): Promise<void>;
  /** The config version in force (0 before any). */
  version(): number;
  stop(): Promise<void>;
}

function listenOn(server: http.Server, l: Listen): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(l.port, l.host, () => {
      server.off("error", reject);
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : l.port);
    });
  });
}

function clusterToken(config: Config): string {
  if (config.clusterToken) return config.clusterToken;
  try {
    const t = fs.readFileSync(path.join(config.dataDir, "cluster_token"), "utf8").trim();
    if (t) return t;
  } catch {}
  throw new ConfigError("CLUSTER_TOKEN: required for a data plane with --control-plane (the control plane's $DATA_DIR/cluster_token)");
}

export async function startDataPlane(opts: DataPlaneOptions): Promise<RunningDataPlane> {
  const { config, log } = opts;
  const registry = createPluginRegistry(opts.plugins ?? []);
  const upstreams = new Upstreams();
  const metrics = new Metrics();
  const outbound = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
  let runtime: Runtime | null = null;
  let lastApplied = 0;
  const cacheFile = opts.cacheFile ?? path.join(config.dataDir, SNAPSHOT_FILE);

  const swap = (snapshot: Snapshot, compiled?: Runtime) => {
    const next = compiled ?? compileRuntime(snapshot, registry, log, outbound);
    const prev = runtime;
    runtime = next;
    lastApplied = Date.now();
    metrics.setConfig(snapshot.version, lastApplied);
    upstreams.retain(snapshot.services);
    prev?.close();
    log.info("config applied", { version: snapshot.version, routes: next.router.size });
  };

  let client: ClusterClient | undefined;
  const mode = opts.controlPlane ? "hybrid" : opts.declarativeFile ? "db-less" : "embedded";
  if (opts.declarativeFile) {
    swap(loadDeclarativeFile(opts.declarativeFile, process.env));
  }
  if (opts.snapshot) swap(opts.snapshot);
  if (opts.controlPlane) {
    const token = clusterToken(config);
    client = new ClusterClient({
      url: opts.controlPlane,
      token,
      log,
      waitSeconds: opts.pollWaitSeconds,
      version: () => runtime?.version ?? 0,
      async apply(snapshot) {
        const compiled = compileRuntime(snapshot, registry, log, outbound); // refuse what cannot compile before caching it
        try {
          writeSnapshotFile(cacheFile, snapshot);
        } catch (err) {
          compiled.close();
          throw err;
        }
        swap(snapshot, compiled);
      },
    });
    // Try the control plane first; when it cannot be reached, boot from the cache.
    try {
      await client.pollOnce(0);
    } catch (err) {
      const cached = readSnapshotFile(cacheFile);
      if (cached) {
        log.warn("control plane unreachable: serving the cached snapshot", { version: cached.version, file: cacheFile, error: (err as Error).message });
        swap(cached);
      } else {
        log.warn("control plane unreachable and no cached snapshot: answering 503 until it is reachable", { error: (err as Error).message });
      }
    }
    client.start();
  }

  const proxy = http.createServer(
    { keepAliveTimeout: 60_000, headersTimeout: 60_000, requestTimeout: 0, maxHeaderSize: 32 * 1024 },
    createProxyHandler({ log, metrics, upstreams, runtime: () => runtime }),
  );
  proxy.keepAliveTimeout = 60_000;
  proxy.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body = JSON.stringify({ message: status === 431 ? "Request header fields too large" : status === 408 ? "Request timeout" : "Bad request" });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  const status = http.createServer(
    createStatusHandler({
      metrics,
      upstreams,
      info: () => ({
        mode,
        config_version: runtime?.version ?? null,
        last_sync: lastApplied ? new Date(lastApplied).toISOString() : null,
        control_plane: opts.controlPlane ? { url: opts.controlPlane, last_contact: client?.lastContact ? new Date(client.lastContact).toISOString() : null, last_error: client?.lastError ?? null } : null,
        ready: runtime !== null,
      }),
    }),
  );
  let proxyPort: number, statusPort: number;
  try {
    proxyPort = await listenOn(proxy, config.listen.proxy);
    statusPort = await listenOn(status, config.listen.status);
  } catch (err) {
    await client?.stop();
    proxy.close();
    status.close();
    await upstreams.close();
    throw err;
  }
  log.info("data plane listening", { proxy: `${config.listen.proxy.host}:${proxyPort}`, status: `${config.listen.status.host}:${statusPort}`, mode });
  return {
    addresses: { proxy: { ...config.listen.proxy, port: proxyPort }, status: { ...config.listen.status, port: statusPort } },
    async apply(snapshot) {
      swap(snapshot);
    },
    version: () => runtime?.version ?? 0,
    async stop() {
      await client?.stop();
      await Promise.all(
        [proxy, status].map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeIdleConnections();
              setTimeout(() => s.closeAllConnections(), 2000).unref();
            }),
        ),
      );
      runtime?.close();
      await upstreams.close();
      await outbound.close().catch(() => {});
    },
  };
}
