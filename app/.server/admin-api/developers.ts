/**
 * Admin API /developers: list (filter ?status=, ?email=), read, PATCH {status}
 * (approved | rejected | revoked | requested, or Kong's 0..3) and DELETE, all
 * through registrations.ts setDeveloperStatus (the ACL feed).
 */
import type { ControlPlane } from "../context";
import type { Developer } from "../db/schema";
import { setDeveloperStatus } from "../registrations";
import { badRequest, notFound, seconds, UUID, type AdminRequest, type AdminResponse } from "./http";
import { ADMIN_API_ACTOR, page } from "./paging";

type DeveloperRow = Pick<Developer, "id" | "email" | "full_name" | "status" | "meta" | "created_at" | "updated_at">;

function entity(d: DeveloperRow) {
  return { id: d.id, email: d.email, full_name: d.full_name, status: d.status, meta: d.meta, created_at: seconds(d.created_at), updated_at: seconds(d.updated_at) };
}

const COLUMNS = ["id", "email", "full_name", "status", "meta", "created_at", "updated_at"] as const;

async function find(cp: ControlPlane, idOrEmail: string): Promise<DeveloperRow> {
  const q = cp.db.selectFrom("developers").select(COLUMNS);
  const row = UUID.test(idOrEmail)
    ? await q.where("id", "=", idOrEmail).executeTakeFirst()
    : await q.where("email", "=", idOrEmail.toLowerCase()).executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

export async function developersRoute(cp: ControlPlane, req: AdminRequest): Promise<AdminResponse | undefined> {
  const [root, id, ...rest] = req.segments;
  if (root !== "developers" || rest.length) return undefined;
  if (!id) {
    if (req.method !== "GET") return { status: 405, body: { message: "Method not allowed" } };
    let q = cp.db.selectFrom("developers").select(COLUMNS);
    const status = req.query.get("status");
    if (status) {
      if (!["requested", "approved", "rejected", "revoked"].includes(status)) throw badRequest("status must be one of requested, approved, rejected, revoked", { status: "invalid value" });
      q = q.where("status", "=", status as Developer["status"]);
    }
    const email = req.query.get("email");
    if (email) q = q.where("email", "=", email.toLowerCase());
    const p = await page(req, q, { created_at: "created_at", id: "id" });
    return { status: 200, body: { data: p.rows.map(entity), next: p.next, ...(p.offset ? { offset: p.offset } : {}) } };
  }
  const dev = await find(cp, id);
  if (req.method === "GET") return { status: 200, body: entity(dev) };
  if (req.method === "PATCH") {
    if (req.body.status === undefined) throw badRequest("send {status}: approved, rejected, revoked or requested", { status: "required field missing" });
    const reason = typeof req.body.reason === "string" ? req.body.reason : null;
    const updated = await setDeveloperStatus(cp, dev.id, String(req.body.status) as never, ADMIN_API_ACTOR, { reason });
    return { status: 200, body: entity(updated ?? dev) };
  }
  if (req.method === "DELETE") {
    await setDeveloperStatus(cp, dev.id, "delete", ADMIN_API_ACTOR);
    return { status: 204 };
  }
  return { status: 405, body: { message: "Method not allowed" } };
}
