/**
 * Keeps the layout's promises: app/ imports only gateway/contract, gateway/ never
 * imports app/, the README documents every variable, and docker-compose.yml uses
 * the CLI's commands and variable names.
 */
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ENV_DOC } from "../../lib/config";

const ROOT = path.resolve(__dirname, "../..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(e.name)) out.push(rel);
  }
  return out;
}

function imports(file: string): string[] {
  const src = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specs = [...src.matchAll(/(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)];
  return specs
    .map((m) => m[1] ?? m[2])
    .filter((s) => s.startsWith(".") || s.startsWith("~/"))
    .map((s) => (s.startsWith("~/") ? path.join("app", s.slice(2)) : path.join(path.dirname(file), s)));
}

describe("layout", () => {
  it("gateway/ imports nothing from app/", () => {
    const bad = sourceFiles("gateway").flatMap((f) => imports(f).filter((i) => i.startsWith("app/") || i === "app").map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  it("app/ imports only gateway/contract from gateway/", () => {
    const bad = sourceFiles("app").flatMap((f) =>
      imports(f)
        .filter((i) => i.startsWith("gateway/") && !i.startsWith("gateway/contract"))
        .map((i) => `${f} -> ${i}`),
    );
    expect(bad).toEqual([]);
  });

  it("lib/ imports neither app/ nor gateway/", () => {
    const bad = sourceFiles("lib").flatMap((f) => imports(f).filter((i) => /^(app|gateway)\//.test(i)).map((i) => `${f} -> ${i}`));
    expect(bad).toEqual([]);
  });

  it("README documents every environment variable", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const missing = ENV_DOC.filter((e) => !readme.includes("`" + e.name + "`")).map((e) => e.name);
    expect(missing).toEqual([]);
  });

  it("docker-compose.yml uses the CLI's commands and variables", () => {
    const compose = YAML.parse(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true });
    const known = new Set(ENV_DOC.map((e) => e.name));
    const commands = new Set(["start", "control-plane", "gateway", "migrate"]);
    for (const name of ["control-plane", "data-plane-1", "data-plane-2"]) {
      const svc = compose.services[name];
      expect(svc, name).toBeTruthy();
      expect(commands.has(svc.command[0]), `${name} command ${svc.command[0]}`).toBe(true);
      for (const key of Object.keys(svc.environment)) expect(known.has(key), `${name}: ${key}`).toBe(true);
    }
    expect(compose.services["data-plane-1"].command).toEqual(["gateway", "--control-plane", "http://control-plane:8005"]);
  });
});
