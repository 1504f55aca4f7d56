/**
 * bench/oidc: what openid-connect costs on the hot path, as ratios to the same
 * gateway route with no plugin, in one run.
 *
 *   node --import tsx bench/oidc.ts [--duration 3] [--connections 32] [--rounds 5]
 *   (npm run bench:oidc)
 *
 * The gateway runs in a child process of its own (the unit measured), the
 * upstream (a minimal HTTP server answering a small JSON body) in another; the
 * load generator (autocannon) and the IdP (oidc-provider on loopback) run in
 * this one. Scenarios run in interleaved rounds (the machine's noise hits them
 * alike); each figure is the median over the rounds. Scenarios:
 *   none        route without plugins (the baseline)
 *   jwt-hit     bearer JWT, the same token every request (verified-claims cache hit)
 *   jwt-fresh   bearer JWT, a different token every request (signature verified each time; keys cached)
 *   intro-hit   opaque token through introspection, cache hit
 *
 * BENCH_ONLY=<scenario> runs only that scenario beside the baseline;
 * BENCH_PROF=<dir> writes a V8 CPU profile of the gateway process there.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { compiled } from "./compiled";
import readline from "node:readline";
import autocannon from "autocannon";
import { startTestIdp } from "../test/support/oidc-provider";
import { startTestGateway, testPlugin, testRoute, testService, testSnapshot } from "../test/support/gateway";
import type { Snapshot } from "../gateway/contract/snapshot";

const SECRET = "bench-secret-bench-secret-bench-secret";

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** Child mode: run the gateway with the snapshot on stdin, print its URL. */
async function serveGateway(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const gw = await startTestGateway({ snapshot: JSON.parse(input) as Snapshot });
  // the gateway process's own CPU time, read between scenarios (robust on a busy machine, unlike req/s)
  const cpu = http.createServer((_req, res) => res.end(JSON.stringify(process.cpuUsage())));
  await new Promise<void>((r) => cpu.listen(0, "127.0.0.1", r));
  process.stdout.write(`${JSON.stringify({ url: gw.url, cpu: `http://127.0.0.1:${(cpu.address() as AddressInfo).port}` })}\n`);
  process.on("SIGTERM", () => void gw.stop().then(() => process.exit(0)));
}

const UPSTREAM_SRC = `
const http = require("node:http");
const body = JSON.stringify({ ok: true });
const s = http.createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200, { "content-type": "application/json", "content-length": body.length }); res.end(body); }); });
s.keepAliveTimeout = 60000;
s.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: s.address().port })));
process.on("SIGTERM", () => process.exit(0));
`;

function startUpstreamChild(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", UPSTREAM_SRC], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once("line", (line) => resolve({ port: (JSON.parse(line) as { port: number }).port, child }));
    child.once("exit", (code) => reject(new Error(`upstream child exited ${code}`)));
  });
}

async function startGatewayChild(snapshot: Snapshot): Promise<{ url: string; cpu: string; child: ChildProcess }> {
  const entry = await compiled(import.meta.url, "bench-oidc"); // production-compiled, not tsx
  const child = spawn(process.execPath, [...(process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), entry, "--gateway"], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin!.end(JSON.stringify(snapshot));
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once("line", (line) => resolve({ ...(JSON.parse(line) as { url: string; cpu: string }), child }));
    child.once("exit", (code) => reject(new Error(`gateway child exited ${code}`)));
  });
}

interface Result {
  name: string;
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Gateway CPU time (user + system) per request, microseconds. */
  cpuUs: number;
}

let cpuUrl = "";
async function gatewayCpu(): Promise<number> {
  const u = (await (await fetch(cpuUrl)).json()) as { user: number; system: number };
  return u.user + u.system;
}

async function load(name: string, url: string, o: { duration: number; connections: number; headers?: Record<string, string>; tokens?: string[] }): Promise<Result> {
  let i = 0;
  const tokens = o.tokens;
  const cpu0 = cpuUrl ? await gatewayCpu() : 0;
  const r = await autocannon({
    url,
    connections: o.connections,
    duration: o.duration,
    headers: o.headers,
    requests: tokens
      ? [
          {
            setupRequest: (req: Record<string, unknown>) => {
              const t = tokens[i++ % tokens.length];
              return { ...req, headers: { ...(req.headers as Record<string, string>), authorization: `Bearer ${t}` } };
            },
          },
        ]
      : undefined,
  });
  const cpu1 = cpuUrl ? await gatewayCpu() : 0;
  return { name, rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, cpuUs: (cpu1 - cpu0) / Math.max(1, r.requests.total) };
}

async function main(): Promise<void> {
  const duration = arg("duration", 3);
  const connections = arg("connections", 32);
  const rounds = arg("rounds", 5);
  const cc = { grant_types: ["client_credentials"], redirect_uris: [], response_types: [] };
  const [idp, opaque, up] = await Promise.all([
    startTestIdp({ accessTokenTtl: 3600, clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] }),
    startTestIdp({ accessTokenTtl: 3600, accessTokenFormat: "opaque", clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] }),
    startUpstreamChild(),
  ]);
  const token = async (issuer: string) => {
    const res = await fetch(`${issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`svc:${SECRET}`).toString("base64")}` },
      body: "grant_type=client_credentials&scope=read",
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const jwt = await token(idp.issuer);
  const opaqueToken = await token(opaque.issuer);
  // fresh tokens: signed by the IdP's own key, each one different (more than one run can use)
  const now = Math.floor(Date.now() / 1000);
  const fresh: string[] = [];
  for (let n = 0; n < 100_000; n++) fresh.push(await idp.sign({ iss: idp.issuer, sub: `user-${n}`, aud: "https://api.gatehouse.test", scope: "read", iat: now, exp: now + 3600, jti: `j${n}` }));

  const svc = testService({ name: "upstream", host: "127.0.0.1", port: up.port });
  const route = (p: string) => testRoute({ name: p.slice(1), service: { id: svc.id }, paths: [p] });
  const routes = { none: route("/none"), jwt: route("/jwt"), intro: route("/intro") };
  const snapshot = testSnapshot({
    services: [svc],
    routes: Object.values(routes),
    plugins: [
      testPlugin({ name: "openid-connect", route: { id: routes.jwt.id }, config: { issuer: idp.issuer, auth_methods: ["bearer"], scopes_required: ["read"] } }),
      testPlugin({ name: "openid-connect", route: { id: routes.intro.id }, config: { issuer: opaque.issuer, auth_methods: ["introspection"], client_id: ["svc"], client_secret: [SECRET], scopes_required: ["read"] } }),
    ],
  });
  const { url, cpu, child } = await startGatewayChild(snapshot);
  cpuUrl = cpu;
  try {
    // warm every path (discovery, JWKS, introspection cache, connection pools)
    for (const [p, t] of [["/none", ""], ["/jwt", jwt], ["/intro", opaqueToken]] as const) {
      const r = await fetch(url + p, { headers: t ? { authorization: `Bearer ${t}` } : {} });
      if (r.status !== 200) throw new Error(`warm-up ${p}: ${r.status} ${await r.text()}`);
    }
    for (const [p, t] of [["/none", ""], ["/jwt", jwt], ["/intro", opaqueToken]] as const) {
      await load("warm-up", url + p, { duration: 1, connections, headers: t ? { authorization: `Bearer ${t}` } : undefined });
    }
    const o = { duration, connections };
    const scenarios: [string, () => Promise<Result>][] = [
      // the baseline carries the same bearer header (forwarded and echoed alike), so the ratio isolates the plugin
      ["none", () => load("none", `${url}/none`, { ...o, headers: { authorization: `Bearer ${jwt}` } })],
      ["jwt-hit", () => load("jwt-hit", `${url}/jwt`, { ...o, headers: { authorization: `Bearer ${jwt}` } })],
      ["jwt-fresh", () => load("jwt-fresh", `${url}/jwt`, { ...o, tokens: fresh })],
      ["intro-hit", () => load("intro-hit", `${url}/intro`, { ...o, headers: { authorization: `Bearer ${opaqueToken}` } })],
    ];
    if (process.env.BENCH_ONLY) scenarios.splice(0, scenarios.length, ...scenarios.filter(([n]) => n === "none" || n === process.env.BENCH_ONLY));
    const runs = new Map<string, Result[]>(scenarios.map(([n]) => [n, []]));
    for (let round = 0; round < rounds; round++) {
      // rotate the order each round so no scenario always runs first or last
      for (let k = 0; k < scenarios.length; k++) {
        const [name, run] = scenarios[(k + round) % scenarios.length];
        runs.get(name)!.push(await run());
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const results: Result[] = scenarios.map(([name]) => {
      const rs = runs.get(name)!;
      return {
        name,
        rps: median(rs.map((r) => r.rps)),
        p99: median(rs.map((r) => r.p99)),
        cpuUs: median(rs.map((r) => r.cpuUs)),
        non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
        errors: rs.reduce((a, r) => a + r.errors, 0),
      };
    });
    const base = results[0];
    console.log(`\nbench/oidc: ${connections} connections, ${rounds} interleaved rounds of ${duration}s per scenario (medians), gateway and upstream in their own processes\n`);
    console.log("scenario      req/s   ratio  p99 ms  p99 ratio  gw CPU us/req  CPU ratio  non-2xx  errors  req/s per round");
    for (const r of results) {
      console.log(
        [
          r.name.padEnd(11),
          r.rps.toFixed(0).padStart(7),
          `${(r.rps / base.rps).toFixed(3)}x`.padStart(7),
          String(r.p99).padStart(7),
          `${(r.p99 / base.p99).toFixed(2)}x`.padStart(10),
          r.cpuUs.toFixed(1).padStart(14),
          `${(base.cpuUs / r.cpuUs).toFixed(3)}x`.padStart(10),
          String(r.non2xx).padStart(8),
          String(r.errors).padStart(7),
          "  " + runs.get(r.name)!.map((x) => x.rps.toFixed(0)).join(" "),
        ].join(" "),
      );
    }
    console.log("\n(ratio: throughput vs none; CPU ratio: none's gateway CPU per request / this one's, i.e. the throughput ratio a CPU-bound gateway would see)");
    const hit = results.find((r) => r.name === "jwt-hit")!;
    const paired = runs.get("jwt-hit")!.map((r, i) => r.rps / runs.get("none")![i].rps);
    console.log(`jwt-hit / none throughput, paired per round: ${paired.map((x) => x.toFixed(2)).join(" ")}; median ${median(paired).toFixed(3)}x`);
    const thr = hit.rps / base.rps;
    const cpuRatio = base.cpuUs / hit.cpuUs;
    const clean = results.every((r) => r.non2xx === 0 && r.errors === 0);
    const verdict = (x: number) => (x >= 0.9 ? "meets" : "misses");
    console.log(
      `cache-hit bearer vs the no-plugin gateway (target >= 0.9x): throughput ${thr.toFixed(3)}x (${verdict(thr)}), gateway CPU per request ${cpuRatio.toFixed(3)}x (${verdict(cpuRatio)})` +
        (clean ? "" : "; some requests failed (non-2xx or errors): the run is not valid"),
    );
    process.exitCode = clean ? 0 : 1;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    up.child.kill("SIGTERM");
    await Promise.all([idp.close(), opaque.close()]);
  }
}

if (process.argv.includes("--gateway")) void serveGateway();
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
