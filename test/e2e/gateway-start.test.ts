/**
 * `gatehouse start`: its data plane (a process of its own) syncs the demo API
 * (protected by the seeded plugins) from the control plane; a service and route
 * added through the Admin API reach it within a second and are proxied.
 * Runs the compiled CLI: `npm run build` first.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startGatehouse, type Started } from "../support/gatehouse-process";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-gw-start-"));
let gh: Started | undefined;
afterAll(async () => {
  await gh?.stop("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const local = (url: string) => url.replace("://localhost", "://127.0.0.1");

describe("gatehouse start: the data plane", () => {
  it("syncs the protected demo API from the control plane, proxies, and follows Admin API changes", async () => {
    gh = await startGatehouse({ DATA_DIR: dataDir });
    const gateway = local(gh.urls.Gateway);
    const admin = local(gh.urls["Admin API"]);
    // the seeded demo carries openid-connect + application-registration: no token, no entry
    let res = await fetch(`${gateway}/demo/anything?x=1`);
    for (let i = 0; i < 50 && res.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await fetch(`${gateway}/demo/anything?x=1`);
    }
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await fetch(`${gateway}/not-routed`)).status).toBe(404);

    const token = fs.readFileSync(path.join(dataDir, "admin_token"), "utf8").trim();
    const headers = { "kong-admin-token": token, "content-type": "application/x-www-form-urlencoded" };
    const demo = await (await fetch(`${admin}/services/demo`, { headers })).json();
    const svc = await fetch(`${admin}/services`, {
      method: "POST",
      headers,
      body: `name=open&protocol=http&host=${demo.host}&port=${demo.port}`,
    });
    expect(svc.status).toBe(201);
    const r = await fetch(`${admin}/services/open/routes`, { method: "POST", headers, body: "name=open&paths[]=/open" });
    expect(r.status).toBe(201);
    const t0 = Date.now();
    let status = 0;
    while (Date.now() - t0 < 3000 && status !== 200) {
      res = await fetch(`${gateway}/open/anything?x=1`);
      status = res.status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    const body = await res.json();
    expect(body.path).toBe("/anything");
    expect(body.query).toEqual({ x: "1" });
    expect(body.headers["x-forwarded-prefix"]).toBe("/open");
    expect(await gh.stop("SIGTERM")).toBe(0);
    gh = undefined;
    // the data plane cached what it served
    expect(fs.statSync(path.join(dataDir, "dp-snapshot.json")).mode & 0o777).toBe(0o600);
  }, 150_000);
});
