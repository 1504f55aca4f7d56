/**
 * The Admin API (Kong-compatible) against a real control plane and database,
 * and a data plane that syncs from the cluster listener.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { startEchoUpstream, startTestGateway, type EchoUpstream } from "../support/gateway";

describe.each(dbTargets())("Admin API on $name", (target) => {
  let cp: TestControlPlane;
  let upstream: EchoUpstream;
  let token: string;

  const call = async (method: string, path: string, body?: unknown, opts: { form?: boolean; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { "kong-admin-token": token, ...opts.headers };
    let payload: string | undefined;
    if (body !== undefined) {
      if (opts.form) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        payload = typeof body === "string" ? body : new URLSearchParams(body as Record<string, string>).toString();
      } else {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body);
      }
    }
    const res = await fetch(cp.admin + path, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    cp = await startTestControlPlane({ target });
    token = cp.cp.secrets.adminToken;
  });
  afterAll(async () => {
    await cp?.stop();
    await upstream?.stop();
  });

  it("refuses requests without the token, with a foreign Origin or a foreign Host", async () => {
    expect((await fetch(cp.admin + "/services")).status).toBe(401);
    const origin = await fetch(cp.admin + "/services", { headers: { "kong-admin-token": token, origin: "https://evil.example" } });
    expect(origin.status).toBe(403);
    const http = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      http.get(cp.admin + "/services", { headers: { host: "rebind.evil.example", "kong-admin-token": token } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on("error", reject);
    });
    expect(status).toBe(403);
    const root = await call("GET", "/");
    expect(root.status).toBe(200);
    expect(root.body.tagline).toMatch(/gatehouse/i);
  });

  it("the seeds' calls: service + route (form), then plugins by JSON on /plugins, /services/{id}/plugins, /routes/{id}/plugins, PATCH with form config.*", async () => {
    const svc = await call("POST", "/services", `name=seed-svc&url=${encodeURIComponent(upstream.url + "/anything")}`, { form: true });
    expect(svc.status).toBe(201);
    expect(svc.body).toMatchObject({ name: "seed-svc", protocol: "http", host: "127.0.0.1", port: upstream.port, path: "/anything", retries: 5 });
    const route = await call("POST", "/services/seed-svc/routes", "name=seed-route&paths[]=/seed&methods=GET&methods=POST", { form: true });
    expect(route.status).toBe(201);
    expect(route.body).toMatchObject({ name: "seed-route", paths: ["/seed"], methods: ["GET", "POST"], service: { id: svc.body.id }, strip_path: true });

    const global = await call("POST", "/plugins", { name: "acl", config: { allow: ["gold"] } });
    expect(global.status).toBe(201);
    expect(global.body).toMatchObject({ name: "acl", service: null, route: null, consumer: null, enabled: true, config: { allow: ["gold"], deny: null, hide_groups_header: false } });
    const onService = await call("POST", `/services/${svc.body.id}/plugins`, { name: "application-registration", config: { display_name: "Seed API" } });
    expect(onService.status).toBe(201);
    expect(onService.body.service).toEqual({ id: svc.body.id });
    const onRoute = await call("POST", `/routes/${route.body.id}/plugins`, { name: "acl", config: { deny: ["banned"] } });
    expect(onRoute.status).toBe(201);
    expect(onRoute.body.route).toEqual({ id: route.body.id });

    const patched = await call("PATCH", `/plugins/${onRoute.body.id}`, "config.deny=x&config.deny=y&config.hide_groups_header=true", { form: true });
    expect(patched.status).toBe(200);
    expect(patched.body.config).toEqual({ allow: null, deny: ["x", "y"], hide_groups_header: true, always_use_authenticated_groups: false, include_consumer_groups: false });
    const single = await call("PATCH", `/plugins/${onRoute.body.id}`, "config.deny=only", { form: true });
    expect(single.body.config.deny).toEqual(["only"]);
    expect(single.body.config.hide_groups_header).toBe(true); // merged, not replaced

    const oidc = await call("POST", `/routes/${route.body.id}/plugins`, { name: "openid-connect", config: { issuer: "https://idp.example/" } });
    expect(oidc.status).toBe(201);
    expect(oidc.body.config.auth_methods).toContain("bearer");

    for (const id of [global.body.id, onService.body.id, onRoute.body.id, oidc.body.id]) expect((await call("DELETE", `/plugins/${id}`)).status).toBe(204);
  });

  it("400s name the bad field; unknown plugins and unsupported fields are refused", async () => {
    const bad = await call("POST", "/plugins", { name: "openid-connect", config: { issuer: "https://i.example", scopes_required: "a" } });
    expect(bad.status).toBe(400);
    expect(bad.body.name).toBe("schema violation");
    expect(bad.body.message).toContain("config.scopes_required: expected an array");
    expect(bad.body.fields).toEqual({ config: { scopes_required: "expected an array" } });
    const unsupported = await call("POST", "/plugins", { name: "openid-connect", config: { issuer: "https://i.example", login_action: "redirect" } });
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.message).toContain("not supported: login_action");
    const unknown = await call("POST", "/plugins", { name: "no-such-plugin" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields.name).toMatch(/not enabled/);
    const scope = await call("POST", "/plugins", { name: "application-registration", config: { display_name: "x" } });
    expect(scope.status).toBe(400);
    const route = await call("POST", "/routes", { name: "bad", paths: ["nope"] });
    expect(route.status).toBe(400);
    expect(route.body.message).toContain("paths[1]: should start with: / (fixed path) or ~/ (regex path)");
    const svc = await call("POST", "/services", { name: "x", port: 99999, host: "h" });
    expect(svc.status).toBe(400);
    expect(svc.body.fields.port).toMatch(/between/);
    const json = await fetch(cp.admin + "/services", { method: "POST", headers: { "kong-admin-token": token, "content-type": "application/json" }, body: "{nope" });
    expect(json.status).toBe(400);
  });

  it("CRUD by id or name, PUT upsert, unique names, pagination and tags", async () => {
    const put = await call("PUT", "/services/put-svc", { host: "example.com", tags: ["t1", "t2"] });
    expect(put.status).toBe(201);
    expect(put.body.name).toBe("put-svc");
    const again = await call("PUT", "/services/put-svc", { host: "example.org", port: 8080 });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: put.body.id, host: "example.org", port: 8080, tags: [] });
    const patch = await call("PATCH", `/services/${put.body.id}`, { retries: 1, tags: ["t1"] });
    expect(patch.body).toMatchObject({ host: "example.org", retries: 1 });
    expect((await call("GET", "/services/put-svc")).body.id).toBe(put.body.id);
    const dup = await call("POST", "/services", { name: "put-svc", host: "x" });
    expect(dup.status).toBe(409);

    for (let i = 0; i < 5; i++) await call("POST", "/consumers", { username: `page-${i}`, tags: i % 2 ? ["odd"] : ["even"] });
    const p1 = await call("GET", "/consumers?size=2");
    expect(p1.body.data).toHaveLength(2);
    expect(p1.body.next).toMatch(/^\/consumers\?size=2&offset=/);
    const p2 = await call("GET", p1.body.next);
    expect(p2.body.data).toHaveLength(2);
    expect(p2.body.data[0].id).not.toBe(p1.body.data[0].id);
    const odd = await call("GET", "/consumers?tags=odd");
    expect(odd.body.data.map((c: { username: string }) => c.username).sort()).toEqual(["page-1", "page-3"]);
    const byName = await call("GET", "/consumers?username=page-2");
    expect(byName.body.data).toHaveLength(1);

    const acl = await call("POST", "/consumers/page-0/acls", "group=gold", { form: true });
    expect(acl.status).toBe(201);
    expect(acl.body).toMatchObject({ group: "gold", consumer: { id: expect.any(String) } });
    expect((await call("GET", "/consumers/page-0/acls")).body.data).toHaveLength(1);
    expect((await call("DELETE", `/consumers/page-0/acls/gold`)).status).toBe(204);

    const r = await call("POST", "/routes", { name: "r-del", paths: ["/r-del"], service: { name: "put-svc" } });
    expect(r.status).toBe(201);
    const blocked = await call("DELETE", "/services/put-svc");
    expect(blocked.status).toBe(400);
    expect(blocked.body.name).toBe("foreign key violation");
    expect((await call("DELETE", "/routes/r-del")).status).toBe(204);
    expect((await call("DELETE", "/services/put-svc")).status).toBe(204);
    expect((await call("GET", "/services/put-svc")).status).toBe(404);
  });

  it("refuses writes to application consumers", async () => {
    const idp = await cp.cp.db.selectFrom("idp_connections").select("id").executeTakeFirstOrThrow();
    const id = crypto.randomUUID();
    await cp.cp.db.insertInto("consumers").values({ id, custom_id: "client-123", type: "application", idp_connection_id: idp.id }).execute();
    for (const [m, p, b] of [["PATCH", `/consumers/${id}`, { username: "x" }], ["DELETE", `/consumers/${id}`, undefined], ["POST", `/consumers/${id}/acls`, { group: "g" }]] as const) {
      const r = await call(m, p, b);
      expect(r.status, `${m} ${p}`).toBe(400);
      expect(r.body.message).toContain("managed by the portal");
    }
    expect((await call("GET", `/consumers/${id}`)).body.type).toBe("application");
  });

  it("every write bumps config_version; a running DP enforces a change in under a second", async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-dp-cache-"));
    const cacheFile = path.join(cacheDir, "dp-snapshot.json");
    const gw = await startTestGateway({ controlPlane: cp.cluster, env: { CLUSTER_TOKEN: cp.cp.secrets.clusterToken }, pollWaitSeconds: 30, cacheFile });
    try {
      const v0 = cp.cp.configEvents.version;
      const svc = await call("POST", "/services", { name: "sync-svc", url: upstream.url });
      expect(cp.cp.configEvents.version).toBe(v0 + 1);
      const t0 = Date.now();
      await call("POST", "/services/sync-svc/routes", { name: "sync-route", paths: ["/sync"] });
      let status = 0;
      while (Date.now() - t0 < 3000) {
        status = (await fetch(gw.url + "/sync")).status;
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const elapsed = Date.now() - t0;
      expect(status).toBe(200);
      expect(elapsed).toBeLessThan(1000);
      // a plugin added through the Admin API is enforced too
      const t1 = Date.now();
      await call("POST", `/services/${svc.body.id}/plugins`, { name: "acl", config: { allow: ["nobody"] } });
      while (Date.now() - t1 < 3000 && (await fetch(gw.url + "/sync")).status === 200) await new Promise((r) => setTimeout(r, 20));
      expect((await fetch(gw.url + "/sync")).status).toBe(401);
      expect(Date.now() - t1).toBeLessThan(1000);
      const st = await fetch(gw.status + "/status").then((r) => r.json());
      expect(st.config_version).toBe(cp.cp.configEvents.version);
      expect(st.mode).toBe("hybrid");
    } finally {
      await gw.stop();
    }
    // the snapshot was cached on disk, readable by its owner only
    expect(fs.statSync(cacheFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(cacheFile, "utf8")).version).toBe(cp.cp.configEvents.version);

    // a data plane started while the control plane cannot be reached serves from that cache
    const down = await startTestGateway({ controlPlane: "http://127.0.0.1:1", env: { CLUSTER_TOKEN: cp.cp.secrets.clusterToken }, cacheFile });
    try {
      expect(down.dp.version()).toBe(cp.cp.configEvents.version);
      expect((await fetch(down.url + "/sync")).status).toBe(401); // the acl plugin from the cache is enforced
      const st = await fetch(down.status + "/status").then((r) => r.json());
      expect(st.control_plane.last_error).toBeTruthy();
    } finally {
      await down.stop();
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it("the cluster listener refuses a wrong token and answers 204 when nothing changed", async () => {
    expect((await fetch(cp.cluster + "/v1/config?after=0", { headers: { authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
    const v = cp.cp.configEvents.version;
    const t0 = Date.now();
    const res = await fetch(`${cp.cluster}/v1/config?after=${v}&wait=1`, { headers: { authorization: `Bearer ${cp.cp.secrets.clusterToken}` } });
    expect(res.status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const snap = await fetch(`${cp.cluster}/v1/config?after=0`, { headers: { authorization: `Bearer ${cp.cp.secrets.clusterToken}` } }).then((r) => r.json());
    expect(snap.version).toBe(v);
    expect(snap.builtin_issuer.issuer).toBe(cp.cp.urls.issuer);
    expect(snap.session_secret.length).toBeGreaterThanOrEqual(32);
    expect(snap.idp_connections.length).toBeGreaterThanOrEqual(1);
    expect(snap.services.some((s: { name: string }) => s.name === "sync-svc")).toBe(true);
    // a data plane ahead of the control plane (restored database) gets the current snapshot at once
    const t1 = Date.now();
    const ahead = await fetch(`${cp.cluster}/v1/config?after=${v + 1000}&wait=5`, { headers: { authorization: `Bearer ${cp.cp.secrets.clusterToken}` } });
    expect(ahead.status).toBe(200);
    expect((await ahead.json()).version).toBe(v);
    expect(Date.now() - t1).toBeLessThan(2000);
  });
});
