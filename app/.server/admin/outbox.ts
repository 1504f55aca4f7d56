/** The email outbox as /admin shows it (newest first). */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";

import { EMAIL_STATUSES } from "../../components/admin/constants";
export { EMAIL_STATUSES };

export async function listEmails(db: Kysely<Database>, opts: { status?: string; limit?: number } = {}) {
  let q = db.selectFrom("email_outbox").selectAll();
  if (opts.status && (EMAIL_STATUSES as readonly string[]).includes(opts.status)) {
    q = q.where("status", "=", opts.status as (typeof EMAIL_STATUSES)[number]);
  }
  return q.orderBy("id", "desc").limit(opts.limit ?? 100).execute();
}
