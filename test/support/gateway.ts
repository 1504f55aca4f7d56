/**
 * Helpers for data plane tests: an upstream that reports what it saw, snapshot
 * builders with Kong's defaults, and an in-process data plane on port 0.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../lib/config";
import { createLogger } from "../../lib/log";
import type { Acl, Consumer, Plugin, Route, Service } from "../../gateway/contract/entities";
import { emptySnapshot, type Snapshot } from "../../gateway/contract/snapshot";
import { startDataPlane, type DataPlaneOptions, type RunningDataPlane } from "../../gateway/main";
import type { PluginHandler } from "../../gateway/plugins/types";

export interface EchoRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
  /** ms from the request's headers arriving to its body's first byte (null: no body). */
  firstByteAfterMs: number | null;
}

export interface EchoUpstream {
  url: string;
  host: string;
  port: number;
  /** Every request seen, in order. */
  seen: EchoRequest[];
  /** Requests whose body started arriving (set before the body ends). */
  bodyStarted: Set<string>;
  /** Bytes written so far by `/bytes` responses, by `x-test-id`. */
  written: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * An upstream that answers JSON describing the request it saw. Special paths:
 * `/slow?ms=N` waits N ms before answering; `/bytes?n=N` streams N bytes (64 KiB
 * chunks); `/status/N` answers with status N. A request with header
 * `x-test-id` is marked in `bodyStarted` when its first body byte arrives.
 */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const seen: EchoRequest[] = [];
  const bodyStarted = new Set<string>();
  const written = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    const hash = createHash("sha256");
    let bytes = 0;
    let first: number | null = null;
    req.on("data", (c: Buffer) => {
      if (first === null) {
        first = performance.now() - t0;
        const id = req.headers["x-test-id"];
        if (typeof id === "string") bodyStarted.add(id);
      }
      bytes += c.length;
      hash.update(c);
    });
    req.on("end", () => {
      const rec: EchoRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bodyBytes: bytes, bodySha256: hash.digest("hex"), firstByteAfterMs: first };
      seen.push(rec);
      const u = new URL(req.url ?? "/", "http://x");
      if (u.pathname.endsWith("/slow")) {
        const t = setTimeout(() => {
          if (!res.destroyed) reply();
        }, Number(u.searchParams.get("ms") ?? 1000));
        res.on("close", () => clearTimeout(t));
        return;
      }
      if (u.pathname.endsWith("/bytes")) {
        let left = Number(u.searchParams.get("n") ?? 0);
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(left) });
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const tid = typeof req.headers["x-test-id"] === "string" ? req.headers["x-test-id"] : undefined;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (tid) written.set(tid, (written.get(tid) ?? 0) + n);
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
          }
          res.end();
        };
        return pump();
      }
      const st = /\/status\/(\d{3})$/.exec(u.pathname);
      reply(st ? Number(st[1]) : 200);
      function reply(status = 200) {
        const body = JSON.stringify(rec);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-upstream": "echo", connection: "keep-alive", "keep-alive": "timeout=5" });
        res.end(body);
      }
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    seen,
    bodyStarted,
    written,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let seq = 0;
const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const now = () => Math.floor(Date.now() / 1000);

/** A service with Kong's defaults. */
export function testService(p: Partial<Service> & { host: string; port: number }): Service {
  return { id: id(++seq), name: null, protocol: "http", path: null, retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, enabled: true, tags: [], created_at: now(), updated_at: now(), ...p };
}

/** A route with Kong's defaults; `created_at` increases with each call (older routes win ties). */
export function testRoute(p: Partial<Route> & { service: { id: string } | null }): Route {
  const n = ++seq;
  return {
    id: id(n), name: null, protocols: ["http", "https"], methods: null, hosts: null, paths: null, headers: null,
    strip_path: true, preserve_host: false, regex_priority: 0, path_handling: "v0", https_redirect_status_code: 426,
    request_buffering: true, response_buffering: true, tags: [], created_at: 1_700_000_000 + n, updated_at: 1_700_000_000 + n, ...p,
  };
}

export function testPlugin(p: Partial<Plugin> & { name: string }): Plugin {
  return { id: id(++seq), instance_name: null, config: {}, service: null, route: null, consumer: null, protocols: ["http", "https"], enabled: true, tags: [], created_at: now(), updated_at: now(), ...p };
}

export function testConsumer(p: Partial<Consumer>): Consumer {
  return { id: id(++seq), username: null, custom_id: null, type: "proxy", idp_connection: null, tags: [], created_at: now(), updated_at: now(), ...p };
}

export function testAcl(consumer: Consumer, group: string): Acl {
  return { id: id(++seq), consumer: { id: consumer.id }, group, tags: [], created_at: now() };
}

export function testSnapshot(p: Partial<Snapshot> & { version?: number } = {}): Snapshot {
  return { ...emptySnapshot(p.version ?? 1), session_secret: "test-session-secret", ...p };
}

export interface TestGateway {
  dp: RunningDataPlane;
  /** http://127.0.0.1:<proxy port> */
  url: string;
  status: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts a data plane in this process on port 0 (proxy and status). */
export async function startTestGateway(
  opts: { snapshot?: Snapshot; plugins?: PluginHandler[]; env?: Record<string, string> } & Partial<Pick<DataPlaneOptions, "controlPlane" | "declarativeFile" | "cacheFile" | "pollWaitSeconds">> = {},
): Promise<TestGateway> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-dp-"));
  const config = loadConfig({ DATA_DIR: dataDir, PROXY_LISTEN: "127.0.0.1:0", STATUS_LISTEN: "127.0.0.1:0", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "error", ...opts.env });
  const dp = await startDataPlane({
    config,
    log: createLogger({ level: config.logLevel, format: "pretty", component: "dp" }),
    snapshot: opts.snapshot,
    plugins: opts.plugins,
    controlPlane: opts.controlPlane,
    declarativeFile: opts.declarativeFile,
    cacheFile: opts.cacheFile,
    pollWaitSeconds: opts.pollWaitSeconds,
  });
  return {
    dp,
    url: `http://127.0.0.1:${dp.addresses.proxy.port}`,
    status: `http://127.0.0.1:${dp.addresses.status.port}`,
    dataDir,
    async stop() {
      await dp.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sends raw bytes on a new TCP connection and resolves with everything the server wrote back. */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.write(data));
    const t = setTimeout(() => s.destroy(), timeoutMs);
    s.on("data", (c) => chunks.push(c));
    s.on("close", () => (clearTimeout(t), resolve(Buffer.concat(chunks).toString("latin1"))));
    s.on("error", (e) => (clearTimeout(t), reject(e)));
  });
}
