/**
 * Writing to idp_outbox: IdP calls are recorded inside the transaction that makes
 * the database change, and run by the outbox worker (idp/outbox.ts) after commit.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database, IdpOutboxTable } from "../db/schema";

export type IdpAction = IdpOutboxTable["action"];

export async function enqueueIdpCall(
  trx: Transaction<Database> | Kysely<Database>,
  call: {
    application_id: string;
    idp_connection_id: string;
    action: IdpAction;
    payload?: Record<string, unknown>;
    secret_enc?: string | null;
  },
): Promise<number> {
  const row = await trx
    .insertInto("idp_outbox")
    .values({
      application_id: call.application_id,
      idp_connection_id: call.idp_connection_id,
      action: call.action,
      payload: JSON.stringify(call.payload ?? {}),
      secret_enc: call.secret_enc ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** AAD of a registration access token carried by a delete_client call after its application row is gone. */
export function outboxTokenAad(applicationId: string): string {
  return `idp_outbox:registration_access_token:${applicationId}`;
}
