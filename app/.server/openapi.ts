/**
 * OpenAPI (3.x, and Swagger 2.0) documents reduced to what the catalog page
 * renders: title, version, description, servers and operations. Rendering is
 * done by React, so every string from a spec is escaped.
 */
import YAML from "yaml";

export interface SpecOperation {
  method: string;
  path: string;
  summary: string;
  description: string;
  parameters: { name: string; in: string; required: boolean; description: string }[];
  responses: { code: string; description: string }[];
}

export interface SpecModel {
  title: string;
  version: string;
  description: string;
  servers: string[];
  operations: SpecOperation[];
}

export class SpecError extends Error {
  override name = "SpecError";
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const str = (v: unknown): string => (typeof v === "string" ? v : "");

export function parseSpecDocument(content: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = content.trimStart().startsWith("{") ? JSON.parse(content) : YAML.parse(content, { maxAliasCount: 100 });
  } catch (err) {
    throw new SpecError(`the spec is neither valid JSON nor YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw new SpecError("the spec must be an object");
  const d = doc as Record<string, unknown>;
  if (typeof d.openapi !== "string" && d.swagger !== "2.0") throw new SpecError('the spec needs an "openapi" (3.x) or "swagger": "2.0" field');
  if (!d.paths || typeof d.paths !== "object") throw new SpecError('the spec needs a "paths" object');
  return d;
}

export function specModel(content: string): SpecModel {
  const d = parseSpecDocument(content);
  const info = (d.info ?? {}) as Record<string, unknown>;
  const servers = Array.isArray(d.servers) ? d.servers.map((s) => str((s as Record<string, unknown>)?.url)).filter(Boolean) : [];
  const operations: SpecOperation[] = [];
  for (const [p, item] of Object.entries(d.paths as Record<string, unknown>)) {
    if (!item || typeof item !== "object") continue;
    const pathItem = item as Record<string, unknown>;
    const shared = Array.isArray(pathItem.parameters) ? pathItem.parameters : [];
    for (const m of METHODS) {
      const op = pathItem[m] as Record<string, unknown> | undefined;
      if (!op || typeof op !== "object") continue;
      const params = [...shared, ...(Array.isArray(op.parameters) ? op.parameters : [])]
        .filter((x) => x && typeof x === "object" && !("$ref" in (x as object)))
        .map((x) => {
          const q = x as Record<string, unknown>;
          return { name: str(q.name), in: str(q.in), required: q.required === true, description: str(q.description) };
        });
      const responses = Object.entries((op.responses ?? {}) as Record<string, unknown>).map(([code, r]) => ({
        code,
        description: str((r as Record<string, unknown>)?.description),
      }));
      operations.push({ method: m.toUpperCase(), path: p, summary: str(op.summary), description: str(op.description), parameters: params, responses });
      if (operations.length >= 500) break;
    }
  }
  return { title: str(info.title), version: str(info.version), description: str(info.description), servers, operations };
}
