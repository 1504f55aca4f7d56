/**
 * Request/response shapes of the Admin API and the helpers every Admin API
 * route (built-in or from extensions.ts) uses: Kong-shaped errors, body
 * decoding (JSON or form-encoded, with Kong's `config.x` / `paths[]` keys) and
 * `offset`/`next` pagination.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { ControlPlane } from "../context";
import { errorsToFields, formatErrors, type FieldError } from "../../../gateway/contract/schema";
import { errorKind } from "../errors";

export interface AdminRequest {
  method: string;
  /** The path without query, e.g. /services/abc/routes. */
  path: string;
  /** Decoded path segments: /services/abc -> ["services", "abc"]. */
  segments: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The decoded body (JSON object, or form fields nested by their dotted keys); {} when empty. */
  body: Record<string, unknown>;
  /** Form-encoded bodies carry strings only: validators coerce them (Kong's behaviour). */
  form: boolean;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An extension route: answers, or returns undefined when the request is not its own. */
export type AdminRoute = (cp: ControlPlane, req: AdminRequest) => Promise<AdminResponse | undefined>;

export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? status));
  }
}

export const notFound = (): AdminError => new AdminError(404, { message: "Not found" });

export function schemaViolation(errors: FieldError[]): AdminError {
  return new AdminError(400, {
    code: 2,
    name: "schema violation",
    message: `schema violation (${formatErrors(errors.map((e) => (e.path === "@entity" ? { ...e, path: "@entity" } : e)))})`,
    fields: errorsToFields(errors),
  });
}

export function badRequest(message: string, fields?: Record<string, unknown>): AdminError {
  return new AdminError(400, fields ? { message, fields } : { message });
}

export function uniqueViolation(entity: string, field: string, value: unknown): AdminError {
  return new AdminError(409, {
    code: 5,
    name: "unique constraint violation",
    message: `UNIQUE violation detected on '{${field}="${String(value)}"}'`,
    fields: { [field]: value },
    entity,
  });
}

export function foreignKeyViolation(message: string, fields?: Record<string, unknown>): AdminError {
  return new AdminError(400, { code: 3, name: "foreign key violation", message, ...(fields ? { fields } : {}) });
}

/** Sets `obj[a][b]...` from a key like `config.scopes`, `paths[]`, `paths[1]`, `headers.x-version`; repeated keys make arrays. */
function setPath(obj: Record<string, unknown>, key: string, value: string): void {
  const arrayHint = /\[\d*\]$/.test(key);
  const parts = key.replace(/\[\d*\]/g, "").split(".").filter(Boolean);
  if (!parts.length) return;
  let node: Record<string, unknown> = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== "object" || node[p] === null || Array.isArray(node[p])) node[p] = {};
    node = node[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  const prev = node[last];
  if (prev === undefined) node[last] = arrayHint ? [value] : value;
  else if (Array.isArray(prev)) prev.push(value);
  else node[last] = [prev, value];
}

/** Text fields of a multipart/form-data body (`curl -F name=value`), nested like form keys. */
export function decodeMultipart(raw: Buffer, boundary: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const text = raw.toString("utf8");
  for (const part of text.split(`--${boundary}`)) {
    const sep = part.indexOf("\r\n\r\n");
    if (sep === -1) continue;
    const head = part.slice(0, sep);
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (!name) continue;
    let value = part.slice(sep + 4);
    if (value.endsWith("\r\n")) value = value.slice(0, -2);
    setPath(out, name, value);
  }
  return out;
}

export function decodeForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) setPath(out, k, v);
  return out;
}

/** Parses a request body by its content type. Throws AdminError(400/415) with what to fix. */
export function decodeBody(contentType: string | undefined, raw: Buffer): { body: Record<string, unknown>; form: boolean } {
  if (!raw.length) return { body: {}, form: false };
  const ct = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (ct === "application/json" || ct.endsWith("+json")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString("utf8"));
    } catch (err) {
      throw badRequest(`Cannot parse JSON body: ${(err as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw badRequest("Cannot parse JSON body: expected an object");
    return { body: parsed as Record<string, unknown>, form: false };
  }
  if (ct === "application/x-www-form-urlencoded" || ct === "") {
    return { body: decodeForm(raw.toString("utf8")), form: true };
  }
  if (ct === "multipart/form-data") {
    const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
    if (!boundary) throw badRequest("multipart/form-data without a boundary");
    return { body: decodeMultipart(raw, boundary[1] ?? boundary[2]), form: true };
  }
  throw new AdminError(415, { message: `Unsupported Content-Type ${JSON.stringify(ct)}: send application/json or application/x-www-form-urlencoded` });
}

/** Opaque pagination cursor: the last row's (created_at, id). */
export function encodeOffset(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString("base64url");
}

export function decodeOffset(offset: string | null): { createdAt: Date; id: string } | undefined {
  if (!offset) return undefined;
  try {
    const [c, id] = JSON.parse(Buffer.from(offset, "base64url").toString("utf8")) as [string, string];
    const createdAt = new Date(c);
    if (Number.isNaN(createdAt.getTime()) || typeof id !== "string") throw new Error();
    return { createdAt, id };
  } catch {
    throw badRequest("invalid offset: pass the `offset` value of the previous page", { offset: "invalid value" });
  }
}

export function pageSize(query: URLSearchParams): number {
  const raw = query.get("size");
  if (raw === null) return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw badRequest("size must be an integer between 1 and 1000", { size: "must be an integer between 1 and 1000" });
  return n;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Timestamps as Kong returns them: whole seconds. */
export const seconds = (d: Date | string): number => Math.floor(new Date(d).getTime() / 1000);

/** The portal's service errors as Admin API answers (matched by name: see admin/guard.ts). */
export function serviceError(err: unknown): { status: number; body: Record<string, unknown> } | undefined {
  const k = errorKind(err);
  if (!k) return undefined;
  const fields = (field?: string) => (field ? { fields: { [field]: k.message } } : {});
  switch (k.kind) {
    case "validation":
      return { status: 400, body: { message: k.message, fields: k.fields } };
    case "not_found":
      return { status: 404, body: { message: k.message ?? "Not found" } };
    case "conflict":
      return { status: 409, body: { message: k.message, ...fields(k.field) } };
    case "status":
      return { status: k.status, body: { message: k.message, ...fields(k.field) } };
  }
}
