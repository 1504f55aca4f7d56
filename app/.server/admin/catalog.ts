/**
 * What /admin lists about applications, registrations and services. Reads
 * only: decisions go through registrations.ts, service settings through
 * services.ts.
 */
import type { Kysely } from "kysely";
import type { Database, InstanceStatus } from "../db/schema";
import { APPLICATION_REGISTRATION } from "../registrations";

function like(q: string): string {
  return "%" + q.toLowerCase().replace(/[\\%_]/g, (c) => "\\" + c) + "%";
}

export async function listApplications(db: Kysely<Database>, f: { q?: string; idp?: string } = {}) {
  let q = db
    .selectFrom("applications as a")
    .innerJoin("developers as d", "d.id", "a.developer_id")
    .innerJoin("idp_connections as i", "i.id", "a.idp_connection_id")
    .select((eb) => [
      "a.id",
      "a.name",
      "a.client_id",
      "a.client_status",
      "a.client_error",
      "a.created_at",
      "d.email as developer_email",
      "d.status as developer_status",
      "i.name as idp_name",
      "i.mode as idp_mode",
      "i.issuer",
      eb.selectFrom("application_instances as ai").select(eb.fn.countAll<number>().as("n")).whereRef("ai.application_id", "=", "a.id").as("registrations"),
      eb
        .selectFrom("application_instances as ai")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("ai.application_id", "=", "a.id")
        .where("ai.status", "=", "approved")
        .as("approved"),
    ]);
  if (f.q) {
    const pat = like(f.q);
    q = q.where((eb) => eb.or([eb(eb.fn("lower", ["a.name"]), "like", pat), eb("d.email", "like", pat), eb("a.client_id", "=", f.q!)]));
  }
  if (f.idp) q = q.where("i.name", "=", f.idp);
  const rows = await q.orderBy("a.created_at", "desc").limit(300).execute();
  return rows.map((r) => ({ ...r, registrations: Number(r.registrations), approved: Number(r.approved) }));
}

export async function listRegistrations(db: Kysely<Database>, f: { status?: InstanceStatus; service?: string; application?: string } = {}) {
  let q = db
    .selectFrom("application_instances as ai")
    .innerJoin("applications as a", "a.id", "ai.application_id")
    .innerJoin("developers as d", "d.id", "a.developer_id")
    .innerJoin("services as s", "s.id", "ai.service_id")
    .innerJoin("idp_connections as i", "i.id", "a.idp_connection_id")
    .leftJoin("plugins as p", (j) => j.onRef("p.service_id", "=", "s.id").on("p.name", "=", APPLICATION_REGISTRATION))
    .select([
      "ai.id",
      "ai.status",
      "ai.reason",
      "ai.decided_by",
      "ai.decided_at",
      "ai.created_at",
      "ai.updated_at",
      "a.id as application_id",
      "a.name as application_name",
      "a.client_id",
      "d.email as developer_email",
      "s.id as service_id",
      "s.name as service_name",
      "p.config as plugin_config",
      "i.name as idp_name",
      "i.mode as idp_mode",
      "a.proof_of_possession_at",
    ]);
  if (f.status) q = q.where("ai.status", "=", f.status);
  if (f.service) q = q.where("s.id", "=", f.service);
  if (f.application) q = q.where("a.id", "=", f.application);
  const rows = await q.orderBy("ai.updated_at", "desc").limit(300).execute();
  return rows.map(({ plugin_config, ...r }) => ({
    ...r,
    service_display_name: typeof plugin_config?.display_name === "string" ? plugin_config.display_name : (r.service_name ?? r.service_id),
  }));
}

export async function listServicesWithRegistration(db: Kysely<Database>) {
  const services = await db.selectFrom("services").select(["id", "name", "host", "port", "path", "protocol"]).orderBy("name").execute();
  const plugins = await db
    .selectFrom("plugins")
    .select(["id", "service_id", "config", "enabled"])
    .where("name", "=", APPLICATION_REGISTRATION)
    .where("route_id", "is", null)
    .where("consumer_id", "is", null)
    .execute();
  const specs = await db.selectFrom("service_specs").select(["service_id", "filename"]).execute();
  return services.map((s) => ({
    ...s,
    registration: plugins.find((p) => p.service_id === s.id) ?? null,
    spec: specs.find((x) => x.service_id === s.id)?.filename ?? (specs.some((x) => x.service_id === s.id) ? "spec" : null),
  }));
}
