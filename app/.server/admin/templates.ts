/**
 * Portal templates as /admin shows them: the built-in ones (portal-templates/)
 * and the override folder (PORTAL_TEMPLATES_DIR). An admin edits a template by
 * writing its override; the built-in files are never changed. Paths are
 * relative, .hbs/.md/.json/.yaml only, and cannot leave their folder.
 */
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { packageRoot } from "../../../lib/paths";
import { ValidationError } from "../developers";

const ALLOWED = /^[a-z0-9][a-z0-9_\-/.]*\.(hbs|md|json|ya?ml)$/i;
const MAX_BYTES = 512 * 1024;

export interface TemplateEntry {
  path: string;
  builtin: boolean;
  overridden: boolean;
}

function walk(root: string, dir = ""): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(root, rel));
    else if (ALLOWED.test(rel) && rel !== "README.md") out.push(rel);
  }
  return out;
}

export function builtinTemplatesDir(): string {
  return path.join(packageRoot(), "portal-templates");
}

export function listTemplates(overrideDir: string | undefined): TemplateEntry[] {
  const builtin = new Set(walk(builtinTemplatesDir()));
  const override = new Set(overrideDir ? walk(overrideDir) : []);
  return [...new Set([...builtin, ...override])].sort().map((p) => ({ path: p, builtin: builtin.has(p), overridden: override.has(p) }));
}

function resolveIn(root: string, rel: string): string {
  if (!ALLOWED.test(rel) || rel.includes("..") || rel.includes("//")) throw new ValidationError({ path: `"${rel}" is not a template path (letters, digits, - _ / . and a .hbs, .md, .json or .yaml name)` });
  const abs = path.resolve(root, rel);
  if (!abs.startsWith(path.resolve(root) + path.sep)) throw new ValidationError({ path: "the path leaves the templates folder" });
  return abs;
}

export function readTemplate(overrideDir: string | undefined, rel: string): { content: string; source: "override" | "builtin" } | undefined {
  if (overrideDir) {
    const o = resolveIn(overrideDir, rel);
    if (fs.existsSync(o)) return { content: fs.readFileSync(o, "utf8"), source: "override" };
  }
  const b = resolveIn(builtinTemplatesDir(), rel);
  return fs.existsSync(b) ? { content: fs.readFileSync(b, "utf8"), source: "builtin" } : undefined;
}

export function writeOverride(overrideDir: string | undefined, rel: string, content: string): void {
  if (!overrideDir) throw new ValidationError({ path: "Set PORTAL_TEMPLATES_DIR to a writable folder to change templates without rebuilding." });
  if (Buffer.byteLength(content) > MAX_BYTES) throw new ValidationError({ content: `a template is at most ${MAX_BYTES} bytes` });
  const abs = resolveIn(overrideDir, rel);
  if (rel.endsWith(".hbs")) {
    try {
      Handlebars.precompile(content);
    } catch (err) {
      throw new ValidationError({ content: `The template does not compile: ${(err as Error).message.split("\n")[0]}` });
    }
  }
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = abs + ".tmp-" + process.pid;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, abs);
}

export function removeOverride(overrideDir: string | undefined, rel: string): boolean {
  if (!overrideDir) return false;
  const abs = resolveIn(overrideDir, rel);
  if (!fs.existsSync(abs)) return false;
  fs.rmSync(abs);
  return true;
}
