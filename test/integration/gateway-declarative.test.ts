/**
 * DB-less mode: Kong's declarative format with decK's env substitution,
 * `gatehouse config validate`, and a data plane serving a file.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDeclarative } from "../../gateway/config/declarative";
import { startEchoUpstream, startTestGateway, type EchoRequest, type EchoUpstream } from "../support/gateway";

const ROOT = path.resolve(__dirname, "../..");
let dir: string;
let upstream: EchoUpstream;

const kongYaml = (port: number) => `_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${port}/base
    tags: [demo]
    routes:
      - name: echo-route
        paths: [/echo]
        plugins:
          - name: acl
            config:
              allow: [\${{ env "DECK_GROUP" }}]
    plugins:
      - name: application-registration
        config:
          display_name: Echo API
  - name: open
    host: 127.0.0.1
    port: ${port}
routes:
  - name: open-route
    service: open
    paths: ["~/open/\\\\d+$"]
  - name: free-route
    service: { name: open }
    paths: ["~/free/\\\\d+$"]
consumers:
  - username: alice
    acls:
      - group: gold
plugins:
  - name: acl
    route: open-route
    config:
      deny: [blocked]
`;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-decl-"));
});
afterAll(async () => {
  await upstream?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("declarative config", () => {
  it("parses services with nested routes and plugins, top-level routes, consumers and plugins", () => {
    const { snapshot, errors } = parseDeclarative(kongYaml(upstream.port), { DECK_GROUP: "gold" });
    expect(errors).toEqual([]);
    expect(snapshot.services.map((s) => s.name)).toEqual(["echo", "open"]);
    expect(snapshot.services[0]).toMatchObject({ host: "127.0.0.1", port: upstream.port, path: "/base", protocol: "http", tags: ["demo"] });
    expect(snapshot.routes.map((r) => [r.name, r.service?.id])).toEqual([
      ["echo-route", snapshot.services[0].id],
      ["open-route", snapshot.services[1].id],
      ["free-route", snapshot.services[1].id],
    ]);
    expect(snapshot.plugins.find((p) => p.name === "acl" && p.route?.id === snapshot.routes[1].id)?.config.deny).toEqual(["blocked"]);
    const acl = snapshot.plugins.find((p) => p.name === "acl" && p.route?.id === snapshot.routes[0].id)!;
    expect(acl.config.allow).toEqual(["gold"]);
    expect(snapshot.plugins.find((p) => p.name === "application-registration")?.service?.id).toBe(snapshot.services[0].id);
    expect(snapshot.acls).toEqual([expect.objectContaining({ group: "gold", consumer: { id: snapshot.consumers[0].id } })]);
    // ids are stable across loads (so caches and metrics keep their keys)
    expect(parseDeclarative(kongYaml(upstream.port), { DECK_GROUP: "gold" }).snapshot.services[0].id).toBe(snapshot.services[0].id);
  });

  it("reports every error with its path", () => {
    const bad = `_format_version: "3.0"
services:
  - name: s
    url: http://x
    retries: many
    routes:
      - name: r
        paths: [nope]
        plugins:
          - name: openid-connect
            config:
              issuer: https://idp.example
              scopes_required: read
  - name: t
routes:
  - name: orphan
    service: missing
    paths: [/o]
plugins:
  - name: mystery
  - name: application-registration
    config: { display_name: x }
`;
    const { errors } = parseDeclarative(bad, {});
    const lines = errors.map((e) => `${e.path}: ${e.message}`);
    expect(lines).toContain("services[1].retries: expected an integer");
    expect(lines).toContain("services[2].host: required field missing");
    expect(lines).toContain('routes[1].service: no service named "missing"');
    expect(lines.some((l) => l.startsWith("plugins[1].name: plugin 'mystery' not enabled"))).toBe(true);
    expect(lines.some((l) => l.startsWith("plugins[2].service: required field missing"))).toBe(true);
    const { errors: e2 } = parseDeclarative(bad.replace(/ *retries: many\n/, ""), {});
    const l2 = e2.map((e) => `${e.path}: ${e.message}`);
    expect(l2).toContain("services[1].routes[1].paths[1]: should start with: / (fixed path) or ~/ (regex path)");
  });

  it("substitutes only DECK_ variables, and refuses unset ones", () => {
    const text = '_format_version: "3.0"\nconsumers:\n  - username: ${{ env "DECK_USER" }}\n  - username: ${{ env "HOME" }}\n';
    const { errors, snapshot } = parseDeclarative(text, { DECK_USER: "carol", HOME: "/root" });
    expect(snapshot.consumers[0]?.username).toBe("carol");
    expect(errors.map((e) => e.message).join("\n")).toMatch(/'HOME' is not allowed/);
    expect(parseDeclarative(text.replace(/.*HOME.*\n/, ""), {}).errors[0].message).toMatch(/'DECK_USER' is not set/);
  });

  it("a DB-less data plane serves the file", async () => {
    const file = path.join(dir, "kong.yaml");
    // without application-registration, whose handler ships with its own issue
    fs.writeFileSync(file, kongYaml(upstream.port).replace(/ {4}plugins:\n {6}- name: application-registration\n.*\n.*\n/, ""));
    process.env.DECK_GROUP = "gold";
    const gw = await startTestGateway({ declarativeFile: file });
    try {
      const free = await fetch(gw.url + "/free/42");
      expect(free.status).toBe(200);
      expect(((await free.json()) as EchoRequest).url).toBe("/");
      expect((await fetch(gw.url + "/free/x")).status).toBe(404);
      expect((await fetch(gw.url + "/open/42")).status).toBe(401); // the top-level acl plugin found its route
      expect((await fetch(gw.url + "/echo")).status).toBe(401); // the nested acl: no consumer
      const st = await fetch(gw.status + "/status").then((r) => r.json());
      expect(st.mode).toBe("db-less");
    } finally {
      delete process.env.DECK_GROUP;
      await gw.stop();
    }
  });

  it("gatehouse config validate prints every error and exits non-zero", async () => {
    const run = promisify(execFile);
    const good = path.join(dir, "good.yaml");
    fs.writeFileSync(good, kongYaml(upstream.port));
    const cli = (file: string) => ["--import", "tsx", "-e", 'import("./cli/main.ts").then((m) => m.run(process.argv.slice(1)))', "config", "validate", file];
    const ok = await run(process.execPath, cli(good), { cwd: ROOT, env: { ...process.env, DECK_GROUP: "gold" } });
    expect(ok.stdout).toMatch(/valid \(2 services, 3 routes, 3 plugins, 1 consumers\)/);
    const badFile = path.join(dir, "bad.yaml");
    fs.writeFileSync(badFile, '_format_version: "3.0"\nservices:\n  - name: s\n    port: 0\n    host: h\n  - host: h\n    retries: -1\n');
    const err = await run(process.execPath, cli(badFile), { cwd: ROOT }).catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain("2 errors");
    expect(err.stderr).toContain("services[1].port: value should be between 1 and 65535");
    expect(err.stderr).toContain("services[2].retries: value should be between 0 and 32767");
  });
});
