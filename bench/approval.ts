/**
 * bench:approval: approval-to-enforcement time on `gatehouse start` (control
 * plane, data plane and demo upstream in their own processes, as `npm start`
 * runs them, embedded database).
 *
 * A developer registers an application for the seeded demo API through the
 * portal's JSON API and gets a client_credentials token from the built-in
 * issuer. Then, per trial: the Admin API approves the registration, and the
 * time from that PATCH's answer (the commit) to the first 200 at the gateway is
 * taken; then it revokes, and the time to the first 403 is taken. The
 * baseline, in the same run: a plain config change (a route's path, through
 * the Admin API) until the gateway routes the new path. Reported: median and
 * worst of each, and the ratios to the baseline.
 *
 * Needs the build (`npm run build`). Usage:
 *   node --import tsx bench/approval.ts [--trials 20] [--poll-ms 2]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { spawn } from "node:child_process";

const { values } = parseArgs({ options: { trials: { type: "string", default: "20" }, "poll-ms": { type: "string", default: "2" } } });
const TRIALS = Number(values.trials);
const POLL_MS = Number(values["poll-ms"]);
const ADMIN_TOKEN = "bench-admin-token-bench-admin-token-0001";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Runs the built `gatehouse start` on loopback, every port 0; resolves with the URLs it prints once ready. */
function startGatehouse(env: Record<string, string>): Promise<{ urls: Record<string, string>; stop(): Promise<void> }> {
  const ports = ["PORTAL_LISTEN", "ADMIN_LISTEN", "CLUSTER_LISTEN", "PROXY_LISTEN", "STATUS_LISTEN", "DEMO_UPSTREAM_LISTEN"];
  const proc = spawn(process.execPath, [path.join(ROOT, "bin", "gatehouse.mjs"), "start"], {
    cwd: ROOT,
    env: { ...process.env, ...Object.fromEntries(ports.map((p) => [p, "127.0.0.1:0"])), LOG_FORMAT: "pretty", ...env },
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => (proc.kill("SIGKILL"), reject(new Error("gatehouse start did not become ready:\n" + out))), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!out.includes("Press Ctrl-C to stop.")) return;
      clearTimeout(timer);
      const urls: Record<string, string> = {};
      for (const m of out.matchAll(/^ {2}(Portal|Admin console|Issuer|Gateway|Admin API|Status)\s+(\S+)/gm)) urls[m[1]] = m[2];
      resolve({ urls, stop: async () => (proc.kill("SIGTERM"), exited) });
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    void exited.then(() => reject(new Error("gatehouse start exited before it was ready:\n" + out)));
  });
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, worst: s[s.length - 1], best: s[0] };
}

async function main() {
  if (!fs.existsSync(path.resolve(import.meta.dirname, "../build/server/index.js"))) {
    console.error("bench:approval needs the build: run `npm run build` first");
    process.exit(1);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-bench-approval-"));
  const gh = await startGatehouse({ DATA_DIR: dataDir, ADMIN_TOKEN, ADMIN_PASSWORD: "bench-admin-password", LOG_LEVEL: "warn" });
  try {
    const portal = gh.urls["Portal"].replace("localhost", "127.0.0.1");
    const admin = gh.urls["Admin API"];
    const gateway = gh.urls["Gateway"].replace("localhost", "127.0.0.1");
    let cookie = "";
    const api = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(url, {
        method,
        headers: { ...(body ? { "content-type": "application/json" } : {}), ...(cookie ? { cookie } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      const set = res.headers.getSetCookie().filter((c) => c.startsWith("gatehouse_session=") && !/max-age=0/i.test(c)).pop();
      if (set) cookie = set.split(";")[0];
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${url}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const adminApi = (method: string, p: string, body?: unknown) => api(method, admin + p, body, { "kong-admin-token": ADMIN_TOKEN });

    await api("POST", `${portal}/api/v1/register`, { email: "bench@example.com", password: "a-long-password", full_name: "Bench" });
    await api("POST", `${portal}/api/v1/login`, { email: "bench@example.com", password: "a-long-password" });
    const services = await api("GET", `${portal}/api/v1/services`);
    const demo = services.data.find((s: { name: string }) => s.name === "demo");
    const app = await api("POST", `${portal}/api/v1/applications`, { name: "bench-app" });
    const reg = await api("POST", `${portal}/api/v1/applications/${app.id}/registrations`, { service_id: demo.id });
    const tok = await fetch(`${portal}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    const token = ((await tok.json()) as { access_token: string }).access_token;

    const status = async (url: string, auth = true) => {
      const res = await fetch(url, auth ? { headers: { authorization: `Bearer ${token}` } } : {});
      await res.arrayBuffer();
      return res.status;
    };
    const waitFor = async (url: string, want: (s: number) => boolean, auth = true) => {
      const t0 = performance.now();
      for (;;) {
        if (want(await status(url, auth))) return performance.now() - t0;
        if (performance.now() - t0 > 10_000) throw new Error(`no change at ${url} within 10 s`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    const demoUrl = `${gateway}/demo/bench`;
    await waitFor(demoUrl, (s) => s === 403); // the data plane knows the application (pending)

    const approve: number[] = [];
    const revoke: number[] = [];
    const baseline: number[] = [];
    const route = (await adminApi("GET", "/routes/demo")) as { id: string; paths: string[] };
    for (let i = 0; i < TRIALS; i++) {
      await adminApi("PATCH", `/services/demo/application_instances/${reg.id}`, { status: "approved" });
      approve.push(await waitFor(demoUrl, (s) => s === 200));
      await adminApi("PATCH", `/services/demo/application_instances/${reg.id}`, { status: "revoked" });
      revoke.push(await waitFor(demoUrl, (s) => s === 403));
      // baseline: a route gains a path; the gateway routes it (401 from openid-connect instead of 404)
      const extra = `/bench-${i}`;
      await adminApi("PATCH", `/routes/${route.id}`, { paths: [...route.paths, extra] });
      baseline.push(await waitFor(`${gateway}${extra}`, (s) => s !== 404, false));
    }
    const a = stats(approve);
    const r = stats(revoke);
    const b = stats(baseline);
    const f = (x: number) => `${x.toFixed(0)} ms`;
    console.log(`approval-to-enforcement on gatehouse start (embedded database), ${TRIALS} trials, polling every ${POLL_MS} ms`);
    console.log(`  approve -> 200   median ${f(a.median)}  worst ${f(a.worst)}  best ${f(a.best)}   (x${(a.median / b.median).toFixed(2)} baseline median)`);
    console.log(`  revoke  -> 403   median ${f(r.median)}  worst ${f(r.worst)}  best ${f(r.best)}   (x${(r.median / b.median).toFixed(2)} baseline median)`);
    console.log(`  baseline: route path change -> routed   median ${f(b.median)}  worst ${f(b.worst)}  best ${f(b.best)}`);
    console.log(`  within one second: ${approve.filter((x) => x < 1000).length}/${TRIALS} approvals, ${revoke.filter((x) => x < 1000).length}/${TRIALS} revocations`);
  } finally {
    await gh.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
