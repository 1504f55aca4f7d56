/**
 * Developers as /admin sees them: listing with filters, and status changes.
 *
 * Status changes that affect access go through one function. Until the portal's
 * registrations.ts lands, `setDeveloperStatus` here makes the change itself:
 * the status, the removal of the ACLs of all the developer's applications when
 * the developer is rejected or revoked (bumping config_version in the same
 * transaction), the end of their sessions, and the audit entry.
 */
import type { Kysely } from "kysely";
import { audit, type Actor } from "../audit";
import { changeConfig, type ConfigEvents } from "../config-version";
import type { Database, DeveloperStatus } from "../db/schema";
import { ValidationError } from "../developers";
import { isUuid } from "./ids";

import { DEVELOPER_STATUSES } from "../../components/admin/constants";
export { DEVELOPER_STATUSES };

export function isDeveloperStatus(v: unknown): v is DeveloperStatus {
  return typeof v === "string" && (DEVELOPER_STATUSES as readonly string[]).includes(v);
}

export interface DeveloperFilter {
  status?: DeveloperStatus;
  q?: string;
}

export async function listDevelopers(db: Kysely<Database>, f: DeveloperFilter = {}, limit = 200) {
  let q = db
    .selectFrom("developers")
    .select((eb) => [
      "developers.id",
      "developers.email",
      "developers.full_name",
      "developers.status",
      "developers.created_at",
      "developers.updated_at",
      eb.selectFrom("applications").select(eb.fn.countAll<number>().as("n")).whereRef("applications.developer_id", "=", "developers.id").as("applications"),
    ]);
  if (f.status) q = q.where("status", "=", f.status);
  if (f.q) {
    const pat = "%" + f.q.toLowerCase().replace(/[\\%_]/g, (c) => "\\" + c) + "%";
    q = q.where((eb) => eb.or([eb("email", "like", pat), eb(eb.fn("lower", ["full_name"]), "like", pat)]));
  }
  const rows = await q.orderBy("created_at", "desc").limit(limit).execute();
  return rows.map((r) => ({ ...r, applications: Number(r.applications) }));
}

export interface DeveloperDeps {
  db: Kysely<Database>;
  configEvents: ConfigEvents;
}

/** Moves a developer to `status`; rejecting or revoking removes every ACL of their applications. */
export async function setDeveloperStatus(deps: DeveloperDeps, actor: Actor, id: string, status: unknown): Promise<void> {
  if (!isDeveloperStatus(status)) throw new ValidationError({ status: "status must be one of requested, approved, rejected, revoked" });
  if (!isUuid(id)) throw new ValidationError({ id: "No such developer." });
  const dev = await deps.db.selectFrom("developers").select(["id", "status", "email"]).where("id", "=", id).executeTakeFirst();
  if (!dev) throw new ValidationError({ id: "No such developer." });
  await changeConfig(deps.db, deps.configEvents, async (trx) => {
    await trx.updateTable("developers").set({ status, updated_at: new Date() }).where("id", "=", id).execute();
    if (status === "rejected" || status === "revoked") {
      const consumers = trx.selectFrom("applications").select("consumer_id").where("developer_id", "=", id).where("consumer_id", "is not", null);
      await trx.deleteFrom("acls").where("consumer_id", "in", consumers as never).execute();
      await trx.deleteFrom("sessions").where("developer_id", "=", id).execute();
    }
    await audit(trx, actor, "developer.status", { type: "developer", id }, { from: dev.status, to: status, email: dev.email });
  });
}

/** Deletes a developer, their applications (cascade) and their applications' consumers and ACLs. */
export async function deleteDeveloper(deps: DeveloperDeps, actor: Actor, id: string): Promise<void> {
  if (!isUuid(id)) throw new ValidationError({ id: "No such developer." });
  const dev = await deps.db.selectFrom("developers").select(["id", "email"]).where("id", "=", id).executeTakeFirst();
  if (!dev) throw new ValidationError({ id: "No such developer." });
  await changeConfig(deps.db, deps.configEvents, async (trx) => {
    const consumerIds = (
      await trx.selectFrom("applications").select("consumer_id").where("developer_id", "=", id).where("consumer_id", "is not", null).execute()
    ).map((r) => r.consumer_id as string);
    await trx.deleteFrom("developers").where("id", "=", id).execute();
    if (consumerIds.length) await trx.deleteFrom("consumers").where("id", "in", consumerIds).execute();
    await audit(trx, actor, "developer.delete", { type: "developer", id }, { email: dev.email });
  });
}
