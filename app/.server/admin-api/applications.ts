/**
 * Admin API /applications: the portal's applications with their developer,
 * IdP connection, client_id and consumer (read-only; developers manage them in
 * the portal). Filters: ?developer=<id|email>, ?idp_connection=<id|name>, ?client_id=.
 */
import type { ControlPlane } from "../context";
import { notFound, seconds, UUID, type AdminRequest, type AdminResponse } from "./http";
import { page } from "./paging";

function query(cp: ControlPlane) {
  return cp.db
    .selectFrom("applications as a")
    .innerJoin("developers as d", "d.id", "a.developer_id")
    .innerJoin("idp_connections as i", "i.id", "a.idp_connection_id")
    .select([
      "a.id",
      "a.name",
      "a.description",
      "a.redirect_uris",
      "a.client_id",
      "a.client_status",
      "a.consumer_id",
      "a.created_at",
      "a.updated_at",
      "d.id as developer_id",
      "d.email as developer_email",
      "i.id as idp_connection_id",
      "i.name as idp_connection_name",
      "i.issuer",
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof query>["executeTakeFirstOrThrow"]>>;

function entity(r: Row) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    redirect_uris: r.redirect_uris,
    client_id: r.client_id,
    client_status: r.client_status,
    developer: { id: r.developer_id, email: r.developer_email },
    idp_connection: { id: r.idp_connection_id, name: r.idp_connection_name, issuer: r.issuer },
    consumer: r.consumer_id ? { id: r.consumer_id } : null,
    created_at: seconds(r.created_at),
    updated_at: seconds(r.updated_at),
  };
}

export async function applicationsRoute(cp: ControlPlane, req: AdminRequest): Promise<AdminResponse | undefined> {
  const [root, id, ...rest] = req.segments;
  if (root !== "applications" || rest.length) return undefined;
  if (req.method !== "GET") return { status: 405, body: { message: "Method not allowed: applications are managed by their developers in the portal" } };
  if (id) {
    const row = UUID.test(id) ? await query(cp).where("a.id", "=", id).executeTakeFirst() : undefined;
    if (!row) throw notFound();
    return { status: 200, body: entity(row) };
  }
  let q = query(cp);
  const dev = req.query.get("developer");
  if (dev) q = UUID.test(dev) ? q.where("d.id", "=", dev) : q.where("d.email", "=", dev.toLowerCase());
  const idp = req.query.get("idp_connection");
  if (idp) q = UUID.test(idp) ? q.where("i.id", "=", idp) : q.where("i.name", "=", idp);
  const clientId = req.query.get("client_id");
  if (clientId) q = q.where("a.client_id", "=", clientId);
  const p = await page(req, q, { created_at: "a.created_at", id: "a.id" });
  return { status: 200, body: { data: p.rows.map(entity), next: p.next, ...(p.offset ? { offset: p.offset } : {}) } };
}
