/**
 * Admin API /issuer/initial_access_tokens: the built-in issuer's initial access
 * tokens for RFC 7591 dynamic client registration (POST /oauth2/register).
 *
 *   GET    /issuer/initial_access_tokens        -> {data: [{id, description, expires_at, uses_remaining, created_at}], next: null}
 *   POST   /issuer/initial_access_tokens        {description?, expires_in? (seconds), uses?} -> 201 {token, ...}: the token is shown once
 *   DELETE /issuer/initial_access_tokens/{id}   -> 204
 *
 * Tokens are stored as hashes: a list never shows one.
 */
import type { ControlPlane } from "../context";
import { audit } from "../audit";
import { badRequest, notFound, seconds, UUID, type AdminRequest, type AdminResponse } from "./http";
import { ADMIN_API_ACTOR } from "./paging";

function optionalPositive(body: Record<string, unknown>, field: string, integer: boolean): number | undefined {
  const raw = body[field];
  if (raw === undefined || raw === null || raw === "") return undefined;
  const n = typeof raw === "string" ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw badRequest(`schema violation (${field}: expected a positive ${integer ? "whole number" : "number of seconds"})`, { [field]: `expected a positive ${integer ? "whole number" : "number"}` });
  }
  return n;
}

export async function initialAccessTokensRoute(cp: ControlPlane, req: AdminRequest): Promise<AdminResponse | undefined> {
  const [root, collection, id, ...rest] = req.segments;
  if (root !== "issuer" || collection !== "initial_access_tokens" || rest.length) return undefined;
  if (id === undefined) {
    if (req.method === "GET") {
      const rows = await cp.issuer.initialAccessTokens.list();
      const data = rows.map((r) => ({ id: r.id, description: r.description, expires_at: r.expires_at ? seconds(r.expires_at) : null, uses_remaining: r.uses_remaining, created_at: seconds(r.created_at) }));
      return { status: 200, body: { data, next: null } };
    }
    if (req.method === "POST") {
      const body = (req.body && typeof req.body === "object" ? req.body : {}) as Record<string, unknown>;
      const description = body.description === undefined || body.description === null ? undefined : String(body.description).slice(0, 200);
      const expiresIn = optionalPositive(body, "expires_in", false);
      const uses = optionalPositive(body, "uses", true);
      const token = await cp.issuer.registration.createInitialAccessToken({ description, expiresIn, uses });
      await audit(cp.db, ADMIN_API_ACTOR, "issuer.initial_access_token.create", { type: "initial_access_token" }, { description: description ?? null, expires_in: expiresIn ?? null, uses: uses ?? null });
      return {
        status: 201,
        body: { token, description: description ?? null, expires_in: expiresIn ?? null, uses: uses ?? null, registration_endpoint: `${cp.urls.issuer}/register` },
        headers: { "cache-control": "no-store" },
      };
    }
    return { status: 405, body: { message: "Method not allowed: GET or POST" } };
  }
  if (req.method !== "DELETE") return { status: 405, body: { message: "Method not allowed: DELETE" } };
  if (!UUID.test(id) || !(await cp.issuer.initialAccessTokens.delete(id))) throw notFound();
  await audit(cp.db, ADMIN_API_ACTOR, "issuer.initial_access_token.delete", { type: "initial_access_token", id });
  return { status: 204 };
}
