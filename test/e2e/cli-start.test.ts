/**
 * The two commands' promise: `gatehouse start` (what `npm start` runs after the
 * build) brings the whole system up on a fresh data directory, reports health,
 * keeps its data across restarts, and stops every process on SIGTERM.
 */
import { afterAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createTestPostgres } from "../support/db";
import { runCli, startGatehouse, type Started } from "../support/gatehouse-process";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-start-"));
const running: Started[] = [];
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function refused(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname === "localhost" ? "127.0.0.1" : u.hostname);
    s.once("connect", () => (s.destroy(), resolve(false)));
    s.once("error", () => resolve(true));
  });
}

const local = (url: string) => url.replace("://localhost", "://127.0.0.1");

describe("gatehouse start on the embedded database", () => {
  let firstPassword: string | undefined;

  it("starts everything on a fresh data directory and reports health", async () => {
    const gh = await startGatehouse({ DATA_DIR: dataDir });
    running.push(gh);
    const portal = local(gh.urls.Portal);
    expect(portal).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${portal}/health`);
    expect(health.status).toBe(200);
    const body = await health.json();
    expect(body.status).toBe("ok");
    expect(body.database).toEqual({ dialect: "pglite", ok: true });
    expect(body.migrations.pending).toBe(0);
    expect(body.migrations.applied).toBeGreaterThan(0);
    const home = await fetch(portal);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Gatehouse");
    expect(home.headers.get("x-frame-options")).toBe("DENY");
    firstPassword = /password (\S+) {2}\(shown once\)/.exec(gh.output())?.[1];
    expect(firstPassword).toBeTruthy();
    expect(fs.statSync(path.join(dataDir, "secret")).mode & 0o777).toBe(0o600);

    // a writing CLI command refuses while the control plane holds the embedded database
    const migrate = await runCli(["migrate"], { DATA_DIR: dataDir });
    expect(migrate.code).toBe(1);
    expect(migrate.stderr.trim().split("\n")).toHaveLength(1);
    expect(migrate.stderr).toMatch(/holds .*gatehouse\.pid/);

    expect(await gh.stop("SIGTERM")).toBe(0);
    for (const url of [gh.urls.Portal, gh.urls["Admin API"], gh.urls.Gateway]) expect(await refused(local(url))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, "gatehouse.pid"))).toBe(false);
  }, 120_000);

  it("keeps the data on a second start", async () => {
    const secret = fs.readFileSync(path.join(dataDir, "secret"), "utf8");
    const gh = await startGatehouse({ DATA_DIR: dataDir });
    running.push(gh);
    // the first admin exists already: no new password is generated
    expect(gh.output()).not.toMatch(/shown once/);
    expect(fs.readFileSync(path.join(dataDir, "secret"), "utf8")).toBe(secret);
    const body = await (await fetch(`${local(gh.urls.Portal)}/health`)).json();
    expect(body.migrations.pending).toBe(0);
    expect(await gh.stop("SIGINT")).toBe(0);
  }, 120_000);

  it("migrate reports the state once the control plane is stopped", async () => {
    const r = await runCli(["migrate", "--status"], { DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^applied {2}0001_initial$/m);
    expect(r.stdout).not.toMatch(/^pending/m);
  });
});

describe("failures at start", () => {
  it("an unreachable database gives one clear line and a non-zero exit", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-nodb-"));
    try {
      const r = await runCli(["control-plane"], { DATA_DIR: dir, DATABASE_URL: "postgres://gatehouse:secret-pw@127.0.0.1:1/none", LOG_LEVEL: "error" });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^gatehouse control-plane: cannot connect to PostgreSQL at 127\.0\.0\.1:1\/none/);
      expect(r.stderr).not.toContain("secret-pw");
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a bad variable gives one line naming it", async () => {
    const r = await runCli(["start"], { PROXY_LISTEN: "everywhere" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('gatehouse start: PROXY_LISTEN: expected host:port (for example 127.0.0.1:8001 or [::1]:8001), got "everywhere"');
  });

  it("every subcommand answers --help", async () => {
    for (const cmd of ["start", "control-plane", "gateway", "migrate", "keys", "config"]) {
      const r = await runCli([cmd, "--help"], {});
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`^Usage: gatehouse ${cmd}`));
    }
    const top = await runCli(["--help"], {});
    expect(top.stdout).toMatch(/Commands:/);
  });
});

describe.runIf(!!process.env.TEST_DATABASE_URL)("gatehouse start on PostgreSQL", () => {
  it("runs on DATABASE_URL and reports the dialect", async () => {
    const pg = (await createTestPostgres())!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-pg-"));
    try {
      const gh = await startGatehouse({ DATA_DIR: dir, DATABASE_URL: pg.url });
      running.push(gh);
      const body = await (await fetch(`${local(gh.urls.Portal)}/health`)).json();
      expect(body.database).toEqual({ dialect: "postgres", ok: true });
      expect(body.migrations.pending).toBe(0);
      expect(await gh.stop()).toBe(0);
    } finally {
      await pg.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
