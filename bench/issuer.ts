/**
 * bench/issuer: client_credentials tokens per second and p99 latency of the
 * built-in issuer, side by side in one run with oidc-provider configured for the
 * same grant, the same client authentication (client_secret_basic) and the same
 * algorithm (ES256 JWT access tokens).
 *
 *   node --import tsx bench/issuer.ts [--duration 10] [--connections 32] [--rounds 2]
 *   npm run bench:issuer
 *
 * Each server runs in a child process of its own (one core each at most); the
 * load generator (autocannon) runs in this process. The built-in issuer serves
 * through the portal listener's handler (the Remix build when present, as
 * `gatehouse start` does) on embedded PGlite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);

interface Target {
  name: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

async function serveGatehouse(): Promise<Target> {
  const { loadConfig } = await import("../lib/config");
  const { createLogger } = await import("../lib/log");
  const { openDatabase } = await import("../app/.server/db/index");
  const { migrateToLatest } = await import("../app/.server/db/migrate");
  const { createControlPlane } = await import("../app/.server/context");
  const { ensureBuiltinIdpConnection } = await import("../app/.server/bootstrap");
  const { createPortalHandler, loadRemixBuild } = await import("../app/.server/http/portal");
  const { listen } = await import("../app/.server/http/util");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-bench-"));
  const late: { h?: http.RequestListener } = {};
  const server = http.createServer((req, res) => late.h!(req, res));
  server.keepAliveTimeout = 10_000;
  const port = await listen(server, "127.0.0.1", 0);
  const base = `http://localhost:${port}`;
  const config = loadConfig({ DATA_DIR: dataDir, GATEHOUSE_SECRET: "bench-master-secret-bench-master-secret-01", PUBLIC_URL: base, LOG_LEVEL: "warn", ISSUER_SIGNING_ALG: "ES256" });
  const log = createLogger({ level: "warn", format: "pretty", component: "bench" });
  const database = await openDatabase({});
  await migrateToLatest(database.db);
  const urls = { public: base, proxy: "http://localhost:8000", issuer: `${base}/oauth2` };
  await ensureBuiltinIdpConnection(database.db, urls.issuer, log);
  const cp = await createControlPlane({ config, urls, log, database, secrets: { secret: config.secret!, adminToken: "x".repeat(32), clusterToken: "y".repeat(32) } });
  let build;
  try {
    build = await loadRemixBuild();
  } catch {
    build = undefined;
  }
  if (build) late.h = await createPortalHandler(cp, { build, plain: [cp.issuer.handle] });
  else late.h = async (req, res) => void ((await cp.issuer.handle(req, res)) || res.writeHead(404).end());
  const c = await cp.issuer.clients.create({ name: "bench", grant_types: ["client_credentials"], scope: "read" });
  return { name: `gatehouse${build ? "" : " (plain handler)"}`, tokenUrl: `${urls.issuer}/token`, clientId: c.client_id, clientSecret: c.client_secret! };
}

async function serveOidcProvider(): Promise<Target> {
  const { startTestIdp } = await import("../test/support/oidc-provider");
  const clientId = "bench";
  const clientSecret = "bench-secret-bench-secret-bench-secret-0123";
  const idp = await startTestIdp({
    accessTokenTtl: 900,
    clients: [{ client_id: clientId, client_secret: clientSecret, grant_types: ["client_credentials"], redirect_uris: [], response_types: [], token_endpoint_auth_method: "client_secret_basic" }],
  });
  const md = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  return { name: "oidc-provider", tokenUrl: md.token_endpoint, clientId, clientSecret };
}

function startChild(which: string): Promise<{ child: ChildProcess; target: Target }> {
  const child = spawn(process.execPath, ["--import", "tsx", SELF, "--serve", which], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once("line", (line) => resolve({ child, target: JSON.parse(line) as Target }));
    child.once("exit", (code) => reject(new Error(`${which} server exited (${code})`)));
  });
}

/** CPU seconds a process has used (all its threads), from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return NaN;
  }
}

interface Result {
  name: string;
  /** Server CPU time per token, microseconds (all threads of the server process). */
  cpuUs: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(t: Target, pid: number, duration: number, connections: number): Promise<Result> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const autocannon = (await import("autocannon" as string)).default as any;
  const opts = {
    url: t.tokenUrl,
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "Basic " + Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64"),
    },
    body: "grant_type=client_credentials",
    connections,
  };
  await autocannon({ ...opts, duration: 2 }); // warm-up
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({ ...opts, duration });
  const cpuUs = ((cpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, r.requests.total);
  return { name: t.name, cpuUs, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function checkToken(t: Target): Promise<string> {
  const res = await fetch(t.tokenUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "Basic " + Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64"),
    },
    body: "grant_type=client_credentials",
  });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`${t.name}: token request failed: ${res.status} ${JSON.stringify(body)}`);
  const header = JSON.parse(Buffer.from(body.access_token.split(".")[0], "base64url").toString()) as { alg: string; typ?: string };
  if (header.alg !== "ES256") throw new Error(`${t.name}: expected an ES256 JWT, got ${JSON.stringify(header)}`);
  return `${header.alg} ${header.typ ?? "JWT"}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: "string" },
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "32" },
      rounds: { type: "string", default: "2" },
    },
  });
  if (values.serve) {
    const t = values.serve === "gatehouse" ? await serveGatehouse() : await serveOidcProvider();
    process.stdout.write(JSON.stringify(t) + "\n");
    return; // keeps serving until killed
  }
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const children: ChildProcess[] = [];
  try {
    const [g, o] = await Promise.all([startChild("gatehouse"), startChild("oidc-provider")]);
    children.push(g.child, o.child);
    console.log(`tokens: ${g.target.name}: ${await checkToken(g.target)}, ${o.target.name}: ${await checkToken(o.target)}`);
    console.log(`client_credentials, client_secret_basic, ES256 JWT; ${connections} connections, ${duration}s per run, ${rounds} round(s); ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)}`);
    const results: Result[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const [t, pid] of [[g.target, g.child.pid!], [o.target, o.child.pid!]] as const) {
        const r = await load(t, pid, duration, connections);
        results.push(r);
        console.log(`  ${r.name.padEnd(16)} ${r.rps.toFixed(0).padStart(7)} tokens/s   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   cpu ${r.cpuUs.toFixed(0).padStart(4)} us/token   non-2xx ${r.non2xx}   errors ${r.errors}`);
      }
    }
    const best = (name: string) => results.filter((r) => r.name === name).sort((a, b) => b.rps - a.rps)[0];
    const gb = best(g.target.name);
    const ob = best(o.target.name);
    console.log(`\nbest: ${gb.name} ${gb.rps.toFixed(0)} tokens/s (p99 ${gb.p99} ms), ${ob.name} ${ob.rps.toFixed(0)} tokens/s (p99 ${ob.p99} ms)`);
    console.log(`ratio gatehouse / oidc-provider: ${(gb.rps / ob.rps).toFixed(2)}x throughput, ${(gb.p99 / Math.max(ob.p99, 1)).toFixed(2)}x p99`);
    const cpu = (name: string) => Math.min(...results.filter((r) => r.name === name).map((r) => r.cpuUs));
    console.log(
      `server CPU per token: ${g.target.name} ${cpu(g.target.name).toFixed(0)} us, ${o.target.name} ${cpu(o.target.name).toFixed(0)} us ` +
        `(ratio ${(cpu(o.target.name) / cpu(g.target.name)).toFixed(2)}x in gatehouse's favour; one core would serve about ${(1e6 / cpu(g.target.name)).toFixed(0)} tokens/s)`,
    );
    console.log(gb.rps >= 3000 ? "target met: >= 3000 tokens/s" : "target NOT met: < 3000 tokens/s");
  } finally {
    for (const c of children) c.kill("SIGTERM");
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
