/**
 * bench:gateway: proxied requests per second and p50/p99 latency for
 *   (a) the upstream called directly,
 *   (b) a minimal node:http reverse proxy written here (the baseline),
 *   (c) the Gatehouse data plane with no plugins,
 * measured with autocannon in one run and reported as ratios.
 *
 * Each server runs in its own child process (as in production); the load
 * generator runs in this one. Usage:
 *   node --import tsx bench/gateway.ts [--duration 6] [--connections 50] [--rounds 5]
 */
import { fork, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { compiled } from "./compiled";

type Role = "upstream" | "baseline" | "gateway";
const BODY = JSON.stringify({ ok: true, message: "hello from the upstream" });

async function serve(role: Role, upstreamPort: number): Promise<number> {
  if (role === "upstream") {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
        res.end(BODY);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  }
  if (role === "baseline") {
    // The smallest honest reverse proxy: keep-alive agent, streamed both ways, no routing.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const server = http.createServer((req, res) => {
      const up = http.request(
        { host: "127.0.0.1", port: upstreamPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` }, agent },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          ur.pipe(res);
        },
      );
      up.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as AddressInfo).port;
  }
  const { startDataPlane } = await import("../gateway/main");
  const { loadConfig } = await import("../lib/config");
  const { createLogger } = await import("../lib/log");
  const { emptySnapshot } = await import("../gateway/contract/snapshot");
  const now = Math.floor(Date.now() / 1000);
  const snapshot = emptySnapshot(1);
  snapshot.services = [
    { id: "00000000-0000-4000-8000-000000000001", name: "bench", protocol: "http", host: "127.0.0.1", port: upstreamPort, path: null, retries: 5, connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, enabled: true, tags: [], created_at: now, updated_at: now },
  ];
  // a few routes besides the benchmarked one, so the router does some work
  snapshot.routes = ["/a", "/b", "/c", "/bench", "~/regex/\\d+"].map((p, i) => ({
    id: `00000000-0000-4000-8000-0000000001${i.toString().padStart(2, "0")}`, name: `r${i}`, service: { id: snapshot.services[0].id }, protocols: ["http", "https"],
    methods: null, hosts: null, paths: [p], headers: null, strip_path: false, preserve_host: false, regex_priority: 0, path_handling: "v0" as const,
    https_redirect_status_code: 426, request_buffering: true, response_buffering: true, tags: [], created_at: now + i, updated_at: now + i,
  }));
  const dataDir = path.join(os.tmpdir(), `gh-bench-${process.pid}`);
  const config = loadConfig({ DATA_DIR: dataDir, PROXY_LISTEN: "127.0.0.1:0", STATUS_LISTEN: "127.0.0.1:0", LOG_LEVEL: "warn" }, { role: "data-plane" });
  const dp = await startDataPlane({ config, log: createLogger({ level: "warn" }), snapshot });
  return dp.addresses.proxy.port;
}

async function spawn(role: Role, upstreamPort = 0): Promise<{ child: ChildProcess; port: number }> {
  const entry = await compiled(import.meta.url, "bench-gateway"); // every server production-compiled, not tsx
  return new Promise((resolve, reject) => {
    const child = fork(entry, ["--serve", role, "--upstream-port", String(upstreamPort)], {
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("message", (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** CPU time (user + system, microseconds) a server process has used so far. */
function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      const cpu = (m as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!cpu) return;
      child.off("message", on);
      resolve(cpu.user + cpu.system);
    };
    child.on("message", on);
    child.send("cpu");
  });
}

interface Result {
  /** CPU microseconds the proxy process spent per request (upstream direct: the upstream's). */
  cpuPerReq?: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, duration: number, connections: number): Promise<Result> {
  const autocannon = (await import("autocannon")).default;
  const r = await autocannon({ url, connections, duration, pipelining: 1 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

async function main() {
  const { values } = parseArgs({
    options: {
      serve: { type: "string" },
      "upstream-port": { type: "string" },
      duration: { type: "string", default: process.env.BENCH_DURATION ?? "6" },
      connections: { type: "string", default: "50" },
      rounds: { type: "string", default: "5" },
    },
  });
  if (values.serve) {
    const port = await serve(values.serve as Role, Number(values["upstream-port"]));
    process.send?.({ port });
    process.on("message", (m) => {
      if (m === "cpu") process.send?.({ cpu: process.cpuUsage() });
    });
    process.on("disconnect", () => process.exit(0));
    return;
  }
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const upstream = await spawn("upstream");
  const baseline = await spawn("baseline", upstream.port);
  const gateway = await spawn("gateway", upstream.port);
  const targets: [string, string, ChildProcess][] = [
    ["upstream direct", `http://127.0.0.1:${upstream.port}/bench`, upstream.child],
    ["baseline node:http proxy", `http://127.0.0.1:${baseline.port}/bench`, baseline.child],
    ["gatehouse (no plugins)", `http://127.0.0.1:${gateway.port}/bench`, gateway.child],
  ];
  // Rounds alternate the order of the targets, so that noise from other work on the machine
  // hits all of them alike; each round's gateway/baseline ratio is paired, and the medians reported.
  const results = new Map<string, Result[]>(targets.map(([n]) => [n, []]));
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  try {
    for (const [, url] of targets) await load(url, 2, connections); // warm-up (JIT, pools)
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...targets].reverse() : targets;
      const r: Record<string, Result> = {};
      for (const [name, url, child] of order) {
        const before = await cpuOf(child);
        r[name] = await load(url, duration, connections);
        const used = (await cpuOf(child)) - before;
        r[name].cpuPerReq = used / Math.max(1, r[name].rps * duration);
        results.get(name)!.push(r[name]);
      }
      ratios.push(r["gatehouse (no plugins)"].rps / r["baseline node:http proxy"].rps);
      cpuRatios.push(r["baseline node:http proxy"].cpuPerReq! / r["gatehouse (no plugins)"].cpuPerReq!);
    }
  } finally {
    for (const c of [gateway.child, baseline.child, upstream.child]) c.kill("SIGTERM");
  }
  const median = (xs: number[]) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  const baseRps = median(results.get("baseline node:http proxy")!.map((r) => r.rps));
  const rows = [...results].map(([name, rs]) => ({
    target: name,
    "req/s (median)": Math.round(median(rs.map((r) => r.rps))),
    "p50 ms": median(rs.map((r) => r.p50)),
    "p99 ms": median(rs.map((r) => r.p99)),
    "x baseline": (median(rs.map((r) => r.rps)) / baseRps).toFixed(2),
    "CPU µs/req (that process)": Math.round(median(rs.map((r) => r.cpuPerReq ?? 0))),
    errors: rs.reduce((n, r) => n + r.errors + r.non2xx, 0),
  }));
  process.stdout.write(`\nbench:gateway  ${connections} connections, ${rounds} rounds of ${duration}s, node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}\n`);
  console.table(rows);
  process.stdout.write(`gatehouse / baseline throughput, paired per round: ${ratios.map((x) => x.toFixed(2)).join(" ")}\n`);
  process.stdout.write(`median: ${median(ratios).toFixed(2)}x (target >= 0.90x)\n`);
  process.stdout.write(
    `CPU efficiency (baseline CPU per request / gatehouse CPU per request), paired per round: ${cpuRatios.map((x) => x.toFixed(2)).join(" ")}; median ${median(cpuRatios).toFixed(2)}x\n` +
      "(CPU per request is the steadier figure on a shared machine: it does not depend on how much CPU the process was given)\n",
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
