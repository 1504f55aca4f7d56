/**
 * portal-templates: handlebars layouts, partials, content pages and emails.
 *
 * Each file is looked up first in PORTAL_TEMPLATES_DIR (when set), then in the
 * built-in ./portal-templates, and read on every render so an admin's change
 * shows without a restart. `{{value}}` is always HTML-escaped in HTML output;
 * only plain-text emails are rendered without escaping.
 */
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { packageRoot } from "../../lib/paths";

export class TemplateNotFoundError extends Error {
  override name = "TemplateNotFoundError";
}

const SAFE_NAME = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_.-]*)*$/i;

export class Templates {
  readonly dirs: string[];

  constructor(overrideDir?: string, builtinDir = path.join(packageRoot(), "portal-templates")) {
    this.dirs = overrideDir && path.resolve(overrideDir) !== path.resolve(builtinDir) ? [overrideDir, builtinDir] : [builtinDir];
  }

  /** The path of `rel` (like "emails/sign-up.txt.hbs") in the first folder that has it. */
  resolve(rel: string): string | undefined {
    if (!SAFE_NAME.test(rel) || rel.includes("..")) return undefined;
    for (const d of this.dirs) {
      const p = path.join(d, rel);
      if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
    }
    return undefined;
  }

  read(rel: string): string | undefined {
    const p = this.resolve(rel);
    return p ? fs.readFileSync(p, "utf8") : undefined;
  }

  /** Names (without extension) of the files in a folder, across all template folders. */
  list(folder: string, ext: string): string[] {
    const out = new Set<string>();
    for (const d of this.dirs) {
      const dir = path.join(d, folder);
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) if (f.endsWith(ext)) out.add(f.slice(0, -ext.length));
    }
    return [...out].sort();
  }

  #instance(escape: boolean): typeof Handlebars {
    const hb = Handlebars.create();
    for (const name of this.list("partials", ".hbs")) {
      const src = this.read(`partials/${name}.hbs`);
      if (src !== undefined) hb.registerPartial(name, src);
    }
    if (!escape) hb.registerHelper("raw", (v: unknown) => v);
    return hb;
  }

  /** Renders `rel` with `data`; HTML-escaped unless `text` is set. */
  render(rel: string, data: Record<string, unknown>, opts: { text?: boolean } = {}): string {
    const src = this.read(rel);
    if (src === undefined) throw new TemplateNotFoundError(`template ${rel} not found in ${this.dirs.join(" or ")}`);
    const hb = this.#instance(!opts.text);
    return hb.compile(src, { noEscape: !!opts.text, strict: false })(data);
  }

  /**
   * A content page (pages/<name>.hbs) inside its layout (layouts/page.hbs when present),
   * as an HTML fragment for the Remix shell. Undefined when the page does not exist.
   */
  page(name: string, data: Record<string, unknown>): string | undefined {
    if (!this.resolve(`pages/${name}.hbs`)) return undefined;
    const body = this.render(`pages/${name}.hbs`, data);
    if (!this.resolve("layouts/page.hbs")) return body;
    const hb = this.#instance(true);
    return hb.compile(this.read("layouts/page.hbs")!)({ ...data, body: new Handlebars.SafeString(body) });
  }
}
