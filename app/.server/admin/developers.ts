/**
 * Developers as /admin lists them. Status changes and deletion go through
 * registrations.ts setDeveloperStatus (the ACL feed), never from here.
 */
import type { Kysely } from "kysely";
import type { Database, DeveloperStatus } from "../db/schema";

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
