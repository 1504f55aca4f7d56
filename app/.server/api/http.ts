/**
 * The portal JSON API's plumbing (/api/v1): JSON in and out, errors with field
 * names, and DESIGN.md's rule for cookie-authenticated writes: refused when an
 * Origin header names another origin, and only with a JSON body (a browser cannot
 * send that cross-site without a preflight, which the portal never answers).
 */
import type { ControlPlane } from "../context";
import type { Developer } from "../db/schema";
import { errorKind } from "../errors";
import type { Actor } from "../audit";

export function apiJson(data: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("cache-control", "no-store");
  return new Response(status === 204 ? null : JSON.stringify(data), { status, headers: h });
}

export function apiError(status: number, message: string, fields?: Record<string, string>): Response {
  return apiJson(fields && Object.keys(fields).length ? { message, fields } : { message }, status);
}

/** Maps the services' errors to JSON answers; anything else is rethrown (a 500 logged by the portal). */
export function toApiResponse(err: unknown): Response {
  if (err instanceof Response) return err;
  const k = errorKind(err);
  if (!k) throw err;
  if (k.kind === "validation") return apiError(400, k.message, k.fields);
  if (k.kind === "not_found") return apiError(404, k.message);
  if (k.kind === "conflict") return apiError(409, k.message, k.field ? { [k.field]: k.message } : undefined);
  return apiError(k.status, k.message, k.field ? { [k.field]: k.message } : undefined);
}

/** Runs an API handler, turning known errors into JSON. */
export async function api(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return toApiResponse(err);
  }
}

/** Throws 403 unless a write comes from this portal's origin (or from no browser at all). */
export function checkOrigin(request: Request, cp: ControlPlane): void {
  const origin = request.headers.get("origin");
  if (origin && origin !== new URL(cp.urls.public).origin) {
    throw apiError(403, `cross-origin request refused: Origin ${origin.slice(0, 100)} is not ${new URL(cp.urls.public).origin}`);
  }
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site") throw apiError(403, "cross-site request refused");
}

/** Reads a JSON object body (writes must be JSON). */
export async function readJson(request: Request, { optional = false } = {}): Promise<Record<string, unknown>> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  const text = await request.text();
  if (!text.trim() && optional) return {};
  if (type !== "application/json") throw apiError(415, "send the body as JSON with Content-Type: application/json");
  if (text.length > 256 * 1024) throw apiError(413, "the body is over 256 KiB");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw apiError(400, "the body is not valid JSON");
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) throw apiError(400, "the body must be a JSON object");
  return body as Record<string, unknown>;
}

/** A write: origin check, then the JSON body. */
export async function writeBody(request: Request, cp: ControlPlane, opts: { optional?: boolean } = {}): Promise<Record<string, unknown>> {
  checkOrigin(request, cp);
  return readJson(request, opts);
}

/** The signed-in, approved developer, or a 401 JSON answer. */
export async function apiDeveloper(request: Request, cp: ControlPlane): Promise<{ developer: Developer; actor: Actor }> {
  const viewer = await cp.sessions.viewer(request);
  const developer = viewer?.developer;
  if (!developer) throw apiError(401, "log in first: POST /api/v1/login with {email, password}, then send the gatehouse_session cookie");
  if (developer.status !== "approved") throw apiError(403, `your account is ${developer.status}`);
  return { developer, actor: { type: "developer", id: developer.id, label: developer.email } };
}

export function methodNotAllowed(allowed: string[]): Response {
  return apiJson({ message: `method not allowed: use ${allowed.join(", ")}` }, 405, { allow: allowed.join(", ") });
}
