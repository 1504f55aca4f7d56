/**
 * Admin API /services/{id|name}/application_instances (Kong's Dev Portal shape):
 * GET (filter ?status=), GET one, PATCH {status: approved|rejected|revoked
 * (or Kong's 0/2/3), reason?}, DELETE. Decisions go through registrations.ts
 * (the ACL feed, config_version bump, email to the developer).
 */
import type { ControlPlane } from "../context";
import { deleteInstance, parseInstanceStatus, setInstanceStatus } from "../registrations";
import { badRequest, notFound, seconds, UUID, type AdminRequest, type AdminResponse } from "./http";
import { ADMIN_API_ACTOR, page } from "./paging";

function query(cp: ControlPlane, serviceId: string) {
  return cp.db
    .selectFrom("application_instances as ai")
    .innerJoin("applications as a", "a.id", "ai.application_id")
    .select([
      "ai.id",
      "ai.status",
      "ai.reason",
      "ai.decided_by",
      "ai.decided_at",
      "ai.created_at",
      "ai.updated_at",
      "ai.service_id",
      "a.id as application_id",
      "a.name as application_name",
      "a.client_id",
      "a.developer_id",
    ])
    .where("ai.service_id", "=", serviceId);
}

type Row = Awaited<ReturnType<ReturnType<typeof query>["executeTakeFirstOrThrow"]>>;

function entity(r: Row) {
  return {
    id: r.id,
    status: r.status,
    reason: r.reason,
    decided_by: r.decided_by,
    decided_at: r.decided_at ? seconds(r.decided_at) : null,
    service: { id: r.service_id },
    application: { id: r.application_id, name: r.application_name, client_id: r.client_id, developer: { id: r.developer_id } },
    created_at: seconds(r.created_at),
    updated_at: seconds(r.updated_at),
  };
}

export async function applicationInstancesRoute(cp: ControlPlane, req: AdminRequest): Promise<AdminResponse | undefined> {
  const [root, svcKey, sub, id, ...rest] = req.segments;
  if (root !== "services" || sub !== "application_instances" || !svcKey || rest.length) return undefined;
  const svcQ = cp.db.selectFrom("services").select("id");
  const svc = UUID.test(svcKey) ? await svcQ.where("id", "=", svcKey).executeTakeFirst() : await svcQ.where("name", "=", svcKey).executeTakeFirst();
  if (!svc) throw notFound();
  if (!id) {
    if (req.method !== "GET") return { status: 405, body: { message: "Method not allowed: developers request access in the portal" } };
    let q = query(cp, svc.id);
    const status = req.query.get("status");
    if (status) {
      const s = parseInstanceStatus(status);
      if (!s) throw badRequest("status must be one of pending, approved, rejected, revoked", { status: "invalid value" });
      q = q.where("ai.status", "=", s);
    }
    const p = await page(req, q, { created_at: "ai.created_at", id: "ai.id" });
    return { status: 200, body: { data: p.rows.map(entity), next: p.next, ...(p.offset ? { offset: p.offset } : {}) } };
  }
  const one = async () => {
    const row = UUID.test(id) ? await query(cp, svc.id).where("ai.id", "=", id).executeTakeFirst() : undefined;
    if (!row) throw notFound();
    return row;
  };
  const row = await one();
  if (req.method === "GET") return { status: 200, body: entity(row) };
  if (req.method === "PATCH") {
    if (req.body.status === undefined) throw badRequest("send {status}: approved, rejected or revoked", { status: "required field missing" });
    const reason = typeof req.body.reason === "string" ? req.body.reason : null;
    await setInstanceStatus(cp, row.id, req.body.status, ADMIN_API_ACTOR, { reason });
    return { status: 200, body: entity(await one()) };
  }
  if (req.method === "DELETE") {
    await deleteInstance(cp, row.id, ADMIN_API_ACTOR, { reason: typeof req.query.get("reason") === "string" ? req.query.get("reason") : null });
    return { status: 204 };
  }
  return { status: 405, body: { message: "Method not allowed" } };
}
