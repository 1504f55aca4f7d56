/**
 * The adapter for the built-in issuer: clients are created through the issuer's
 * own clients API (cp.issuer.clients), never by writing its tables from here.
 * Rotation keeps the previous secret valid for a grace period.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import type { Clients } from "../issuer/clients";
import { IdpCallError, type ClientMetadata, type ClientRef, type IdpAdapter, type RegisteredClient } from "./types";

/** What the portal needs from the built-in issuer's client store. */
export interface BuiltinClientsApi {
  create(input: ClientMetadata & { application_id: string }): Promise<{ client_id: string; client_secret?: string }>;
  update(clientId: string, input: ClientMetadata): Promise<unknown>;
  delete(clientId: string): Promise<unknown>;
  rotateSecret(clientId: string, opts: { graceSeconds: number }): Promise<{ client_secret: string }>;
}

export const ROTATION_GRACE_SECONDS = 24 * 3600;

export class BuiltinIssuerAdapter implements IdpAdapter {
  readonly kind = "builtin";
  readonly supportsRotation = true;

  constructor(
    private readonly clients: BuiltinClientsApi | undefined,
    private readonly applicationId: string,
    private readonly graceSeconds = ROTATION_GRACE_SECONDS,
  ) {}

  #api(): BuiltinClientsApi {
    if (!this.clients) {
      throw new IdpCallError("the built-in issuer's clients API is not available in this build: applications on the built-in issuer cannot get a client yet", undefined, false);
    }
    return this.clients;
  }

  /** Metadata the issuer refuses will not become valid by retrying. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const name = (err as Error).name;
      if (name === "ClientMetadataError" || name === "ClientNotFoundError") throw new IdpCallError((err as Error).message, 400, false);
      throw err;
    }
  }

  async create(metadata: ClientMetadata): Promise<RegisteredClient> {
    const c = await this.#call(() => this.#api().create({ ...metadata, application_id: this.applicationId }));
    return { client_id: c.client_id, client_secret: c.client_secret };
  }

  async update(ref: ClientRef, metadata: ClientMetadata): Promise<RegisteredClient> {
    await this.#call(() => this.#api().update(ref.client_id, metadata));
    return { client_id: ref.client_id };
  }

  async delete(ref: ClientRef): Promise<void> {
    await this.#api().delete(ref.client_id);
  }

  async rotateSecret(ref: ClientRef): Promise<RegisteredClient> {
    const r = await this.#call(() => this.#api().rotateSecret(ref.client_id, { graceSeconds: this.graceSeconds }));
    return { client_id: ref.client_id, client_secret: r.client_secret };
  }
}

/**
 * The portal's view of the built-in issuer's clients API (cp.issuer.clients).
 * With `db`, creating is idempotent per application: a client the issuer already
 * made for it (the process stopped before the portal stored the answer) is
 * reused with a fresh secret instead of leaving an orphan beside a new one.
 */
export function builtinClientsApi(clients: Clients, db?: Kysely<Database>): BuiltinClientsApi {
  const input = (m: ClientMetadata) => ({
    name: m.client_name,
    grant_types: m.grant_types,
    redirect_uris: m.redirect_uris,
    token_endpoint_auth_method: m.token_endpoint_auth_method,
  });
  return {
    async create(m) {
      const existing = db
        ? await db.selectFrom("oauth_clients").select("client_id").where("application_id", "=", m.application_id).executeTakeFirst()
        : undefined;
      if (existing) {
        await clients.update(existing.client_id, input(m));
        const r = await clients.rotateSecret(existing.client_id, { graceSeconds: 0 });
        return { client_id: existing.client_id, client_secret: r.client_secret };
      }
      const c = await clients.create({ ...input(m), application_id: m.application_id });
      return { client_id: c.client_id, client_secret: c.client_secret };
    },
    update: (clientId, m) => clients.update(clientId, input(m)),
    delete: (clientId) => clients.delete(clientId),
    rotateSecret: (clientId, opts) => clients.rotateSecret(clientId, opts),
  };
}
