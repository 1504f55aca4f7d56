/**
 * The idp_outbox worker. Database changes commit first; the IdP calls they imply
 * run here afterwards, never inside a transaction: one row at a time, in order per
 * application, retried with exponential backoff until they succeed or fail for
 * good (an admin sees failed rows in /admin). A registration access token the IdP
 * returns is stored before anything else is done with the answer.
 */
import { sql, type Kysely } from "kysely";
import type { Logger } from "../../../lib/log";
import { registrationTokenAad } from "../application-rows";
import { audit, SYSTEM } from "../audit";
import { bumpConfigVersion, type ConfigEvents } from "../config-version";
import type { Keyring } from "../crypto";
import type { Application, Database } from "../db/schema";
import type { IdpConnections } from "./connections";
import { enqueueIdpCall, outboxTokenAad } from "./outbox-queue";
import { IdpCallError, type ClientMetadata, type ClientRef, type RegisteredClient } from "./types";

export function clientSecretAad(applicationId: string): string {
  return `applications:client_secret:${applicationId}`;
}

/** The allow-listed metadata the portal sends for an application. */
export function clientMetadata(app: Pick<Application, "name" | "redirect_uris">): ClientMetadata {
  const interactive = app.redirect_uris.length > 0;
  return {
    client_name: app.name,
    redirect_uris: app.redirect_uris,
    grant_types: interactive ? ["client_credentials", "authorization_code", "refresh_token"] : ["client_credentials"],
    response_types: interactive ? ["code"] : [],
    token_endpoint_auth_method: "client_secret_basic",
  };
}

export interface OutboxOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
  pollMs?: number;
}

export class IdpOutbox {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly #opts: Required<OutboxOptions>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly keyring: Keyring,
    private readonly events: ConfigEvents,
    private readonly connections: IdpConnections,
    private readonly log: Logger,
    opts: OutboxOptions = {},
  ) {
    this.#opts = { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 12, pollMs: 1000, ...opts };
  }

  /** Picks up calls a previous process left running, then polls for due calls. */
  async start(): Promise<void> {
    await this.db.updateTable("idp_outbox").set({ status: "pending", updated_at: new Date() }).where("status", "=", "running").execute();
    this.#timer = setInterval(() => this.kick(), this.#opts.pollMs);
    this.#timer.unref();
    this.kick();
  }

  kick(): void {
    if (this.#stopped) return;
    void this.runDue().catch((err) => this.log.error("idp outbox failed", { err }));
  }

  /** Runs every due call (serialised: a second caller waits for the same run, and one more after it). */
  runDue(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          while (!this.#stopped && (await this.#runOne())) {
            /* next */
          }
        } while (this.#again && !this.#stopped);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Runs due calls and waits (up to timeoutMs) until this application has none pending that are due. */
  async runFor(applicationId: string, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && !this.#stopped) {
      await Promise.race([this.runDue(), new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())))]);
      const open = await this.db
        .selectFrom("idp_outbox")
        .select("id")
        .where("application_id", "=", applicationId)
        .where((eb) => eb.or([eb("status", "=", "running"), eb.and([eb("status", "=", "pending"), eb("next_attempt_at", "<=", new Date())])]))
        .executeTakeFirst();
      if (!open) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** An admin retries a failed call: it runs again at once (its attempts start over). */
  async retry(outboxId: number): Promise<boolean> {
    const r = await this.db
      .updateTable("idp_outbox")
      .set({ status: "pending", attempts: 0, next_attempt_at: new Date(), updated_at: new Date() })
      .where("id", "=", outboxId)
      .where("status", "=", "failed")
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    this.kick();
    return true;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }

  async #runOne(): Promise<boolean> {
    const row = await this.db
      .selectFrom("idp_outbox as o")
      .selectAll()
      .where("o.status", "=", "pending")
      .where("o.next_attempt_at", "<=", new Date())
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("idp_outbox as p")
              .select(sql`1`.as("one"))
              .whereRef("p.application_id", "=", "o.application_id")
              .whereRef("p.id", "<", "o.id")
              .where("p.status", "in", ["pending", "running"]),
          ),
        ),
      )
      .orderBy("o.id")
      .limit(1)
      .executeTakeFirst();
    if (!row) return false;
    const claimed = await this.db
      .updateTable("idp_outbox")
      .set({ status: "running", updated_at: new Date() })
      .where("id", "=", row.id)
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return true;
    try {
      await this.#execute(row);
      await this.db.updateTable("idp_outbox").set({ status: "done", attempts: row.attempts + 1, last_error: null, updated_at: new Date() }).where("id", "=", row.id).execute();
    } catch (err) {
      const attempts = row.attempts + 1;
      const retryable = !(err instanceof IdpCallError) || err.retryable;
      const failed = !retryable || attempts >= this.#opts.maxAttempts;
      const message = (err as Error).message.slice(0, 1000);
      const delay = Math.min(this.#opts.baseDelayMs * 2 ** (attempts - 1), this.#opts.maxDelayMs);
      this.log.warn("idp call failed", { id: row.id, action: row.action, application_id: row.application_id, attempts, final: failed, error: message });
      await this.db
        .updateTable("idp_outbox")
        .set({ status: failed ? "failed" : "pending", attempts, last_error: message, next_attempt_at: new Date(Date.now() + delay), updated_at: new Date() })
        .where("id", "=", row.id)
        .execute();
      if (row.application_id) {
        await this.db
          .updateTable("applications")
          .set({ client_error: message, ...(failed && row.action === "create_client" ? { client_status: "failed" as const } : {}), updated_at: new Date() })
          .where("id", "=", row.application_id)
          .execute();
      }
    }
    return true;
  }

  #ref(app: Application): ClientRef {
    return {
      client_id: app.client_id!,
      registration_client_uri: app.registration_client_uri,
      registration_access_token: app.registration_access_token_enc ? this.keyring.decrypt(app.registration_access_token_enc, registrationTokenAad(app.id)) : null,
    };
  }

  /** Stores what the IdP returned: the registration access token first, then the rest. */
  async #store(app: Application, r: RegisteredClient): Promise<void> {
    if (r.registration_access_token) {
      await this.db
        .updateTable("applications")
        .set({ registration_access_token_enc: this.keyring.encrypt(r.registration_access_token, registrationTokenAad(app.id)), updated_at: new Date() })
        .where("id", "=", app.id)
        .execute();
    }
    await this.db
      .updateTable("applications")
      .set({
        ...(r.registration_client_uri ? { registration_client_uri: r.registration_client_uri } : {}),
        ...(r.client_secret ? { client_secret_enc: this.keyring.encrypt(r.client_secret, clientSecretAad(app.id)) } : {}),
        client_error: null,
        updated_at: new Date(),
      })
      .where("id", "=", app.id)
      .execute();
  }

  async #execute(row: { id: number; application_id: string | null; idp_connection_id: string; action: string; payload: Record<string, unknown>; secret_enc: string | null }) {
    const conn = await this.db.selectFrom("idp_connections").selectAll().where("id", "=", row.idp_connection_id).executeTakeFirst();
    if (!conn) throw new IdpCallError("the IdP connection was deleted", undefined, false);
    const app = row.application_id ? await this.db.selectFrom("applications").selectAll().where("id", "=", row.application_id).executeTakeFirst() : undefined;
    const adapter = this.connections.adapterFor(conn, row.application_id ?? "");
    if (!adapter) return; // manual connections: nothing to call
    switch (row.action) {
      case "create_client": {
        if (!app || app.client_id) return; // deleted before its client was made, or made already
        const created = await adapter.create(clientMetadata(app));
        let orphan = false;
        let version = 0;
        await this.db.transaction().execute(async (trx) => {
          const still = await trx.selectFrom("applications").select(["id", "consumer_id"]).where("id", "=", app.id).forUpdate().executeTakeFirst();
          if (!still) {
            orphan = true;
            // the application went while the IdP call ran: remove the client it made
            await enqueueIdpCall(trx, {
              application_id: app.id,
              idp_connection_id: conn.id,
              action: "delete_client",
              payload: { client_id: created.client_id, registration_client_uri: created.registration_client_uri, application_removed: true },
              secret_enc: created.registration_access_token ? this.keyring.encrypt(created.registration_access_token, outboxTokenAad(app.id)) : null,
            });
            return;
          }
          await trx
            .updateTable("applications")
            .set({
              client_id: created.client_id,
              client_status: "active",
              client_error: null,
              registration_client_uri: created.registration_client_uri ?? null,
              registration_access_token_enc: created.registration_access_token ? this.keyring.encrypt(created.registration_access_token, registrationTokenAad(app.id)) : null,
              client_secret_enc: created.client_secret ? this.keyring.encrypt(created.client_secret, clientSecretAad(app.id)) : null,
              updated_at: new Date(),
            })
            .where("id", "=", app.id)
            .execute();
          if (still.consumer_id) {
            await trx.updateTable("consumers").set({ custom_id: created.client_id, updated_at: new Date() }).where("id", "=", still.consumer_id).execute();
          }
          await audit(trx, SYSTEM, "application.client_created", { type: "application", id: app.id }, { client_id: created.client_id, idp_connection: conn.name });
          version = await bumpConfigVersion(trx);
        });
        if (version) this.events.observe(version);
        if (orphan) this.kick();
        return;
      }
      case "update_client": {
        if (!app) return;
        if (!app.client_id) throw new IdpCallError("the application has no client at the IdP yet", undefined, false);
        const r = await adapter.update(this.#ref(app), clientMetadata(app));
        await this.#store(app, { ...r, client_secret: undefined });
        return;
      }
      case "rotate_secret": {
        if (!app?.client_id) return;
        if (!adapter.rotateSecret) throw new IdpCallError(`${conn.name} does not support secret rotation through the portal`, undefined, false);
        const r = await adapter.rotateSecret(this.#ref(app), clientMetadata(app));
        await this.#store(app, r);
        await audit(this.db, SYSTEM, "application.secret_rotated", { type: "application", id: app.id }, { client_id: app.client_id });
        return;
      }
      case "delete_client": {
        const p = row.payload;
        const clientId = typeof p.client_id === "string" ? p.client_id : app?.client_id;
        if (!clientId) return;
        const token = row.secret_enc ? this.keyring.decrypt(row.secret_enc, outboxTokenAad(row.application_id ?? "")) : app ? this.#ref(app).registration_access_token : null;
        await adapter.delete({
          client_id: clientId,
          registration_client_uri: typeof p.registration_client_uri === "string" ? p.registration_client_uri : (app?.registration_client_uri ?? null),
          registration_access_token: token,
        });
        return;
      }
      default:
        throw new IdpCallError(`unknown action ${row.action}`, undefined, false);
    }
  }
}
