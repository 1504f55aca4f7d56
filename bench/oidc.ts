/**
 * bench/oidc: what openid-connect costs on the hot path, as ratios to the same
 * gateway route with no plugin, in one run.
 *
 *   node --import tsx bench/oidc.ts [--duration 5] [--connections 32]
 *   (npm run bench:oidc)
 *
 * The gateway runs in a child process of its own (the unit measured); the
 * load generator (autocannon), the echo upstream and the IdP (oidc-provider on
 * loopback) run in this one. Scenarios:
 *   none        route without plugins (baseline, run first and last)
 *   jwt-hit     bearer JWT, the same token every request (verified-claims cache hit)
 *   jwt-fresh   bearer JWT, a different token every request (signature verified each time; keys cached)
 *   intro-hit   opaque token through introspection, cache hit
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import autocannon from "autocannon";
import { startTestIdp } from "../test/support/oidc-provider";
import { startEchoUpstream, startTestGateway, testPlugin, testRoute, testService, testSnapshot } from "../test/support/gateway";
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
  process.stdout.write(`${JSON.stringify({ url: gw.url })}\n`);
  process.on("SIGTERM", () => void gw.stop().then(() => process.exit(0)));
}

function startGatewayChild(snapshot: Snapshot): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve(__dirname, "oidc.ts"), "--gateway"], { stdio: ["pipe", "pipe", "inherit"] });
  child.stdin!.end(JSON.stringify(snapshot));
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once("line", (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, child }));
    child.once("exit", (code) => reject(new Error(`gateway child exited ${code}`)));
  });
}

interface Result {
  name: string;
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(name: string, url: string, o: { duration: number; connections: number; headers?: Record<string, string>; tokens?: string[] }): Promise<Result> {
  let i = 0;
  const tokens = o.tokens;
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
  return { name, rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main(): Promise<void> {
  const duration = arg("duration", 5);
  const connections = arg("connections", 32);
  const cc = { grant_types: ["client_credentials"], redirect_uris: [], response_types: [] };
  const [idp, opaque, upstream] = await Promise.all([
    startTestIdp({ accessTokenTtl: 3600, clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] }),
    startTestIdp({ accessTokenTtl: 3600, accessTokenFormat: "opaque", clients: [{ client_id: "svc", client_secret: SECRET, ...cc }] }),
    startEchoUpstream(),
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

  const svc = testService({ name: "echo", host: upstream.host, port: upstream.port });
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
  const { url, child } = await startGatewayChild(snapshot);
  try {
    // warm every path (discovery, JWKS, introspection cache, connection pools)
    for (const [p, t] of [["/none", ""], ["/jwt", jwt], ["/intro", opaqueToken]] as const) {
      const r = await fetch(url + p, { headers: t ? { authorization: `Bearer ${t}` } : {} });
      if (r.status !== 200) throw new Error(`warm-up ${p}: ${r.status} ${await r.text()}`);
    }
    await load("warm-up", `${url}/none`, { duration: 2, connections });
    const o = { duration, connections };
    const results: Result[] = [];
    results.push(await load("none", `${url}/none`, o));
    results.push(await load("jwt-hit", `${url}/jwt`, { ...o, headers: { authorization: `Bearer ${jwt}` } }));
    results.push(await load("jwt-fresh", `${url}/jwt`, { ...o, tokens: fresh }));
    results.push(await load("intro-hit", `${url}/intro`, { ...o, headers: { authorization: `Bearer ${opaqueToken}` } }));
    results.push(await load("none (again)", `${url}/none`, o));
    const base = (results[0].rps + results[results.length - 1].rps) / 2;
    const baseP99 = (results[0].p99 + results[results.length - 1].p99) / 2;
    console.log(`\nbench/oidc: ${connections} connections, ${duration}s per scenario, gateway in its own process\n`);
    console.log("scenario        req/s     ratio   p99 ms  p99 ratio  non-2xx  errors");
    for (const r of results) {
      console.log(
        `${r.name.padEnd(14)} ${r.rps.toFixed(0).padStart(7)}   ${(r.rps / base).toFixed(3).padStart(5)}x  ${String(r.p99).padStart(6)}   ${(r.p99 / baseP99).toFixed(2).padStart(6)}x  ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}`,
      );
    }
    const hit = results.find((r) => r.name === "jwt-hit")!;
    const ok = hit.rps / base >= 0.9 && results.every((r) => r.non2xx === 0 && r.errors === 0);
    console.log(`\ncache-hit bearer: ${(hit.rps / base).toFixed(3)}x the no-plugin gateway (target >= 0.9x): ${ok ? "PASS" : "FAIL"}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await Promise.all([idp.close(), opaque.close(), upstream.stop()]);
  }
}

if (process.argv.includes("--gateway")) void serveGateway();
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
