/** The append-only audit log: who did what to what, when. */
import type { Kysely, Transaction } from "kysely";
import type { AuditLogTable, Database } from "./db/schema";

export interface Actor {
  type: AuditLogTable["actor_type"];
  id?: string | null;
  label?: string | null;
}

export const SYSTEM: Actor = { type: "system", label: "gatehouse" };

export async function audit(
  db: Kysely<Database> | Transaction<Database>,
  actor: Actor,
  action: string,
  target: { type: string; id?: string | null },
  details: Record<string, unknown> = {},
): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      actor_type: actor.type,
      actor_id: actor.id ?? null,
      actor_label: actor.label ?? null,
      action,
      target_type: target.type,
      target_id: target.id ?? null,
      details: JSON.stringify(details),
    })
    .execute();
}
