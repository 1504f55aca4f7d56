/**
 * Admin API /idp-connections (DESIGN.md's table), written against a minimal
 * request shape so the Admin API server can mount it (the lead wires it into the
 * gateway issue's EXTRA_ROUTES extension point):
 *
 *   GET    /idp-connections                 -> {data: [...], next: null}
 *   POST   /idp-connections                 {name, issuer, mode, provider?, registration_endpoint?,
 *                                            initial_access_token?, application_claim?, enabled?} -> 201
 *   GET    /idp-connections/{id|name}
 *   PATCH  /idp-connections/{id|name}       (any of the fields above except mode) -> 200
 *   DELETE /idp-connections/{id|name}       -> 204 (409 for the built-in one or one still in use)
 *
 * The initial access token is write-only: answers carry has_initial_access_token.
 */
import type { ControlPlane } from "../context";
import { errorKind } from "../errors";
import { viewConnection } from "../idp/connections";

export interface AdminRequest {
  method: string;
  /** Path segments after the mount point, e.g. ["idp-connections", "<id>"]. */
  segments: string[];
  /** Parsed JSON (or form) body; undefined when there is none. */
  body?: unknown;
}

export interface AdminResponse {
  status: number;
  body?: unknown;
}

const ACTOR = { type: "admin_api" as const, label: "admin-api" };

function fail(err: unknown): AdminResponse {
  const k = errorKind(err);
  if (!k) throw err;
  if (k.kind === "validation") return { status: 400, body: { message: `schema violation (${Object.entries(k.fields).map(([f, m]) => `${f}: ${m}`).join("; ")})`, name: "schema violation", fields: k.fields } };
  if (k.kind === "not_found") return { status: 404, body: { message: "Not found" } };
  if (k.kind === "conflict") return { status: 409, body: { message: k.message, ...(k.field ? { fields: { [k.field]: k.message } } : {}) } };
  return { status: k.status, body: { message: k.message } };
}

function bodyObject(body: unknown): Record<string, unknown> | undefined {
  return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** Answers /idp-connections requests; undefined when the path is not ours. */
export async function handleIdpConnections(cp: ControlPlane, req: AdminRequest): Promise<AdminResponse | undefined> {
  const [root, id, ...rest] = req.segments;
  if (root !== "idp-connections" || rest.length) return undefined;
  const conns = cp.portal.connections;
  try {
    if (!id) {
      if (req.method === "GET") return { status: 200, body: { data: (await conns.list()).map(viewConnection), next: null } };
      if (req.method === "POST") {
        const body = bodyObject(req.body);
        if (!body) return { status: 400, body: { message: "the body must be a JSON object" } };
        return { status: 201, body: viewConnection(await conns.create(body, ACTOR)) };
      }
      return { status: 405, body: { message: "Method not allowed" } };
    }
    const key = decodeURIComponent(id);
    if (req.method === "GET") return { status: 200, body: viewConnection(await conns.get(key)) };
    if (req.method === "PATCH") {
      const body = bodyObject(req.body);
      if (!body) return { status: 400, body: { message: "the body must be a JSON object" } };
      return { status: 200, body: viewConnection(await conns.update(key, body, ACTOR)) };
    }
    if (req.method === "DELETE") {
      await conns.delete(key, ACTOR);
      return { status: 204 };
    }
    return { status: 405, body: { message: "Method not allowed" } };
  } catch (err) {
    return fail(err);
  }
}
