/**
 * Removing an application inside a transaction: its consumer (and so its ACLs),
 * its row (and so its application_instances), and a delete_client call queued in
 * idp_outbox carrying what the IdP call needs once the row is gone.
 * Used by applications.ts (a developer deletes one) and registrations.ts
 * (an admin deletes a developer).
 */
import type { Transaction } from "kysely";
import type { Keyring } from "./crypto";
import type { Application, Database } from "./db/schema";
import { enqueueIdpCall, outboxTokenAad } from "./idp/outbox-queue";

export function registrationTokenAad(applicationId: string): string {
  return `applications:registration_access_token:${applicationId}`;
}

export async function removeApplicationRows(trx: Transaction<Database>, keyring: Keyring, app: Application): Promise<void> {
  const conn = await trx.selectFrom("idp_connections").select(["id", "mode"]).where("id", "=", app.idp_connection_id).executeTakeFirstOrThrow();
  if (conn.mode !== "manual" && (app.client_id || app.registration_client_uri)) {
    let secret_enc: string | null = null;
    if (app.registration_access_token_enc) {
      const token = keyring.decrypt(app.registration_access_token_enc, registrationTokenAad(app.id));
      secret_enc = keyring.encrypt(token, outboxTokenAad(app.id));
    }
    await enqueueIdpCall(trx, {
      application_id: app.id,
      idp_connection_id: app.idp_connection_id,
      action: "delete_client",
      payload: { client_id: app.client_id, registration_client_uri: app.registration_client_uri, application_removed: true },
      secret_enc,
    });
  }
  // pending calls for this application would act on a row that is gone: the delete supersedes them
  await trx
    .updateTable("idp_outbox")
    .set({ status: "done", last_error: "superseded: the application was deleted", updated_at: new Date() })
    .where("application_id", "=", app.id)
    .where("status", "=", "pending")
    .where("action", "!=", "delete_client")
    .execute();
  await trx.deleteFrom("applications").where("id", "=", app.id).execute();
  if (app.consumer_id) await trx.deleteFrom("consumers").where("id", "=", app.consumer_id).execute();
}
