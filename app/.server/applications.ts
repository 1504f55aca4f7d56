/**
 * Applications: each belongs to a developer, is bound to an IdP connection and
 * owns a consumer of type application (custom_id = client_id once known).
 *
 * Database changes commit first; the IdP calls they imply are queued in
 * idp_outbox in the same transaction and run after the commit (idp/outbox.ts).
 * Creating or rotating waits briefly for that call so the one-time secret can be
 * shown in the same response; if the IdP is slow, the application page shows the
 * secret once it has arrived (still only once).
 */
import type { Kysely, Transaction } from "kysely";
import { audit, type Actor } from "./audit";
import { removeApplicationRows } from "./application-rows";
import { bumpConfigVersion, type ConfigEvents } from "./config-version";
import type { Keyring } from "./crypto";
import type { Application, Database, Developer, IdpConnection } from "./db/schema";
import { ConflictError, NotFoundError, ValidationError } from "./errors";
import type { IdpConnections } from "./idp/connections";
import { clientSecretAad, type IdpOutbox } from "./idp/outbox";
import { enqueueIdpCall } from "./idp/outbox-queue";
import { isUuid } from "./registrations";

export interface ApplicationView {
  id: string;
  name: string;
  description: string;
  redirect_uris: string[];
  idp_connection_id: string;
  idp_connection: { id: string; name: string; issuer: string; mode: string };
  client_id: string | null;
  client_status: Application["client_status"];
  client_error: string | null;
  consumer_id: string | null;
  /** A secret the developer has not seen yet waits (shown once by GET .../secret or the page). */
  client_secret_pending: boolean;
  /** Whether "rotate secret" works for this application's IdP. */
  rotation_supported: boolean;
  proof_of_possession: boolean;
  created_at: number;
  updated_at: number;
}

export interface ApplicationInput {
  name?: unknown;
  description?: unknown;
  redirect_uris?: unknown;
  idp_connection_id?: unknown;
  client_id?: unknown;
}

const NAME_MAX = 100;

function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 127) return true;
  }
  return false;
}
const DESCRIPTION_MAX = 1000;
const REDIRECT_MAX = 10;

export function parseRedirectUris(v: unknown, fields: Record<string, string>): string[] | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === "") return [];
  const list = typeof v === "string" ? v.split(/[\s,]+/).filter(Boolean) : v;
  if (!Array.isArray(list) || list.some((u) => typeof u !== "string")) {
    fields.redirect_uris = "redirect_uris must be a list of URLs";
    return undefined;
  }
  if (list.length > REDIRECT_MAX) {
    fields.redirect_uris = `at most ${REDIRECT_MAX} redirect URIs`;
    return undefined;
  }
  for (const raw of list as string[]) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      fields.redirect_uris = `${raw.slice(0, 100)} is not an absolute URL`;
      return undefined;
    }
    const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
    const custom = !["http:", "https:", "javascript:", "data:", "file:", "vbscript:"].includes(u.protocol) && u.protocol.includes(".");
    if (!(u.protocol === "https:" || (u.protocol === "http:" && loopback) || custom) || raw.length > 2000) {
      fields.redirect_uris = `${raw.slice(0, 100)}: use https (http only on localhost, or a private-use scheme like com.example.app:/cb)`;
      return undefined;
    }
    if (u.hash) {
      fields.redirect_uris = `${raw.slice(0, 100)}: a redirect URI must not have a fragment (RFC 6749 section 3.1.2)`;
      return undefined;
    }
  }
  return [...new Set(list as string[])];
}

export class Applications {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly keyring: Keyring,
    private readonly events: ConfigEvents,
    private readonly connections: IdpConnections,
    private readonly outbox: IdpOutbox,
    private readonly opts: { waitForIdpMs?: number } = {},
  ) {}

  async #runChange<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    let version = 0;
    const out = await this.db.transaction().execute(async (trx) => {
      const r = await fn(trx);
      version = await bumpConfigVersion(trx);
      return r;
    });
    this.events.observe(version);
    return out;
  }

  #view(app: Application, conn: IdpConnection): ApplicationView {
    const adapter = conn.mode === "manual" ? undefined : this.connections.adapterFor(conn, app.id);
    return {
      id: app.id,
      name: app.name,
      description: app.description,
      redirect_uris: app.redirect_uris,
      idp_connection_id: conn.id,
      idp_connection: { id: conn.id, name: conn.name, issuer: conn.issuer, mode: conn.mode },
      client_id: app.client_id,
      client_status: app.client_status,
      client_error: app.client_error,
      consumer_id: app.consumer_id,
      client_secret_pending: !!app.client_secret_enc,
      rotation_supported: !!adapter?.supportsRotation,
      proof_of_possession: !!app.proof_of_possession_at,
      created_at: Math.floor(app.created_at.getTime() / 1000),
      updated_at: Math.floor(app.updated_at.getTime() / 1000),
    };
  }

  async #conn(id: string): Promise<IdpConnection> {
    return this.db.selectFrom("idp_connections").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  /** The developer's own application row, or NotFoundError (also for someone else's: no enumeration). */
  async #own(developerId: string, id: string): Promise<Application> {
    if (!isUuid(id)) throw new NotFoundError("no such application");
    const app = await this.db.selectFrom("applications").selectAll().where("id", "=", id).where("developer_id", "=", developerId).executeTakeFirst();
    if (!app) throw new NotFoundError("no such application");
    return app;
  }

  async list(developerId: string): Promise<ApplicationView[]> {
    const apps = await this.db.selectFrom("applications").selectAll().where("developer_id", "=", developerId).orderBy("created_at").orderBy("name").execute();
    const conns = new Map((await this.connections.list()).map((c) => [c.id, c]));
    return apps.map((a) => this.#view(a, conns.get(a.idp_connection_id)!));
  }

  async get(developerId: string, id: string): Promise<ApplicationView> {
    const app = await this.#own(developerId, id);
    return this.#view(app, await this.#conn(app.idp_connection_id));
  }

  #validate(input: ApplicationInput, partial: boolean) {
    const fields: Record<string, string> = {};
    let name: string | undefined;
    if (input.name !== undefined || !partial) {
      name = typeof input.name === "string" ? input.name.trim() : "";
      if (!name) fields.name = "name is required";
      else if (name.length > NAME_MAX) fields.name = `name: at most ${NAME_MAX} characters`;
      else if (hasControlChars(name)) fields.name = "name must not contain control characters";
    }
    let description: string | undefined;
    if (input.description !== undefined && input.description !== null) {
      if (typeof input.description !== "string") fields.description = "description must be text";
      else if (input.description.length > DESCRIPTION_MAX) fields.description = `description: at most ${DESCRIPTION_MAX} characters`;
      else description = input.description.trim();
    }
    const redirect_uris = parseRedirectUris(input.redirect_uris, fields);
    return { fields, name, description, redirect_uris };
  }

  /**
   * Creates an application (and its consumer) and queues its client's creation.
   * The one-time secret is returned, unless `keepSecret` leaves it for the
   * application's page to show (once) after a redirect.
   */
  async create(
    developer: Developer,
    input: ApplicationInput,
    actor: Actor,
    opts: { keepSecret?: boolean } = {},
  ): Promise<{ application: ApplicationView; client_secret?: string }> {
    const v = this.#validate(input, false);
    const fields = v.fields;
    let conn: IdpConnection | undefined;
    if (input.idp_connection_id === undefined || input.idp_connection_id === null || input.idp_connection_id === "") conn = await this.connections.builtin();
    else if (isUuid(input.idp_connection_id)) conn = await this.db.selectFrom("idp_connections").selectAll().where("id", "=", input.idp_connection_id).executeTakeFirst();
    if (!conn || !conn.enabled) fields.idp_connection_id = "idp_connection_id must be one of /api/v1/idp-connections";
    let clientId: string | null = null;
    if (conn?.mode === "manual") {
      if (typeof input.client_id !== "string" || !input.client_id.trim()) fields.client_id = "client_id is required for this IdP: paste the client ID of the client you created there";
      else if (input.client_id.trim().length > 255 || /\s/.test(input.client_id.trim()) || hasControlChars(input.client_id)) fields.client_id = "client_id: at most 255 characters, no spaces";
      else clientId = input.client_id.trim();
    } else if (conn && input.client_id !== undefined && input.client_id !== null && input.client_id !== "") {
      fields.client_id = `client_id is issued by ${conn.name}; leave it out`;
    }
    if (Object.keys(fields).length) throw new ValidationError(fields);
    await this.#checkUnique(developer.id, v.name!, conn!, clientId);

    const id = crypto.randomUUID();
    const consumerId = crypto.randomUUID();
    try {
      await this.#runChange(async (trx) => {
        await trx
          .insertInto("consumers")
          .values({ id: consumerId, username: clientId ? null : `app-${id}`, custom_id: clientId, type: "application", idp_connection_id: conn!.id, tags: JSON.stringify(["application"]) })
          .execute();
        await trx
          .insertInto("applications")
          .values({
            id,
            developer_id: developer.id,
            name: v.name!,
            description: v.description ?? "",
            redirect_uris: JSON.stringify(v.redirect_uris ?? []),
            idp_connection_id: conn!.id,
            client_id: clientId,
            client_status: clientId ? "active" : "pending",
            consumer_id: consumerId,
          })
          .execute();
        if (!clientId) await enqueueIdpCall(trx, { application_id: id, idp_connection_id: conn!.id, action: "create_client" });
        await audit(trx, actor, "application.create", { type: "application", id }, { name: v.name, idp_connection: conn!.name, client_id: clientId });
      });
    } catch (err) {
      if (/unique|duplicate/i.test(String((err as Error).message))) await this.#checkUnique(developer.id, v.name!, conn!, clientId);
      throw err;
    }
    if (!clientId) await this.outbox.runFor(id, this.opts.waitForIdpMs ?? 5000);
    const client_secret = opts.keepSecret ? undefined : await this.takeSecret(developer.id, id);
    return { application: await this.get(developer.id, id), client_secret };
  }

  async #checkUnique(developerId: string, name: string | undefined, conn: IdpConnection, clientId: string | null, exceptId?: string): Promise<void> {
    if (name !== undefined) {
      const q = this.db.selectFrom("applications").select("id").where("developer_id", "=", developerId).where("name", "=", name);
      const dup = await (exceptId ? q.where("id", "!=", exceptId) : q).executeTakeFirst();
      if (dup) throw new ConflictError(`you already have an application named ${name}`, "name");
    }
    if (clientId) {
      const dup = await this.db
        .selectFrom("consumers")
        .select("id")
        .where("type", "=", "application")
        .where("idp_connection_id", "=", conn.id)
        .where("custom_id", "=", clientId)
        .executeTakeFirst();
      if (dup) throw new ConflictError(`client_id ${clientId} is already registered for ${conn.issuer}`, "client_id");
    }
  }

  async update(developerId: string, id: string, input: ApplicationInput, actor: Actor): Promise<ApplicationView> {
    const app = await this.#own(developerId, id);
    const v = this.#validate(input, true);
    if (input.client_id !== undefined && input.client_id !== app.client_id) v.fields.client_id = "client_id cannot change: create another application";
    if (input.idp_connection_id !== undefined && input.idp_connection_id !== app.idp_connection_id) v.fields.idp_connection_id = "the IdP connection cannot change: create another application";
    if (Object.keys(v.fields).length) throw new ValidationError(v.fields);
    const conn = await this.#conn(app.idp_connection_id);
    if (v.name !== undefined) await this.#checkUnique(developerId, v.name, conn, null, app.id);
    const changesClient = (v.name !== undefined && v.name !== app.name) || (v.redirect_uris !== undefined && JSON.stringify(v.redirect_uris) !== JSON.stringify(app.redirect_uris));
    await this.#runChange(async (trx) => {
      await trx
        .updateTable("applications")
        .set({
          ...(v.name !== undefined ? { name: v.name } : {}),
          ...(v.description !== undefined ? { description: v.description } : {}),
          ...(v.redirect_uris !== undefined ? { redirect_uris: JSON.stringify(v.redirect_uris) } : {}),
          updated_at: new Date(),
        })
        .where("id", "=", app.id)
        .execute();
      if (changesClient && conn.mode !== "manual" && app.client_status !== "failed") {
        await enqueueIdpCall(trx, { application_id: app.id, idp_connection_id: conn.id, action: "update_client" });
      }
      await audit(trx, actor, "application.update", { type: "application", id: app.id }, { fields: Object.keys(input) });
    });
    if (changesClient) this.outbox.kick();
    return this.get(developerId, id);
  }

  async delete(developerId: string, id: string, actor: Actor): Promise<void> {
    const app = await this.#own(developerId, id);
    await this.#runChange(async (trx) => {
      const locked = await trx.selectFrom("applications").selectAll().where("id", "=", app.id).forUpdate().executeTakeFirst();
      if (!locked) throw new NotFoundError("no such application");
      await removeApplicationRows(trx, this.keyring, locked);
      await audit(trx, actor, "application.delete", { type: "application", id: app.id }, { name: app.name, client_id: app.client_id });
    });
    this.outbox.kick();
  }

  /** Issues a new secret (builtin: the old one stays valid for a grace period). Shown once. */
  async rotateSecret(developerId: string, id: string, actor: Actor): Promise<{ client_secret: string }> {
    const app = await this.#own(developerId, id);
    const conn = await this.#conn(app.idp_connection_id);
    if (conn.mode === "manual") throw new ConflictError(`this application's client lives at ${conn.issuer}: rotate its secret there`);
    const adapter = this.connections.adapterFor(conn, app.id);
    if (!adapter?.supportsRotation) {
      throw new ConflictError(`${conn.name} does not support secret rotation through dynamic client registration (RFC 7592 has none): rotate the secret at the IdP, or delete and re-create the application`);
    }
    if (!app.client_id) throw new ConflictError("the application has no client yet: wait until it is active");
    await this.db.transaction().execute(async (trx) => {
      await enqueueIdpCall(trx, { application_id: app.id, idp_connection_id: conn.id, action: "rotate_secret" });
      await audit(trx, actor, "application.rotate_secret", { type: "application", id: app.id }, { client_id: app.client_id });
    });
    await this.outbox.runFor(app.id, this.opts.waitForIdpMs ?? 5000);
    const secret = await this.takeSecret(developerId, id);
    if (!secret) {
      const now = await this.#own(developerId, id);
      throw new ConflictError(now.client_error ? `the IdP refused: ${now.client_error}` : "the IdP has not answered yet: the new secret will be shown on the application's page");
    }
    return { client_secret: secret };
  }

  /**
   * Manual applications: the developer proves once that they hold the client
   * (the portal runs a client_credentials grant at the IdP's token endpoint with
   * the secret, then forgets the secret). Afterwards the application's requests
   * to auto-approving services are approved like any other (callers run
   * registrations.approvePendingAutoApprovals for the pending ones).
   */
  async proveClient(developerId: string, id: string, clientSecret: unknown, actor: Actor): Promise<ApplicationView> {
    const app = await this.#own(developerId, id);
    const conn = await this.#conn(app.idp_connection_id);
    if (conn.mode !== "manual") throw new ConflictError("only applications with a pasted client_id need to prove possession", "client_secret");
    if (typeof clientSecret !== "string" || !clientSecret || clientSecret.length > 1000) throw new ValidationError({ client_secret: "client_secret is required" });
    const tokenEndpoint = await this.#tokenEndpoint(conn);
    const attempt = async (basic: boolean) => {
      const body = new URLSearchParams({ grant_type: "client_credentials" });
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
      if (basic) headers.authorization = "Basic " + Buffer.from(`${encodeURIComponent(app.client_id!)}:${encodeURIComponent(clientSecret)}`).toString("base64");
      else {
        body.set("client_id", app.client_id!);
        body.set("client_secret", clientSecret);
      }
      const res = await fetch(tokenEndpoint, { method: "POST", headers, body, redirect: "error", signal: AbortSignal.timeout(10_000) });
      const json = (await res.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
      return { ok: res.ok && typeof json.access_token === "string", error: typeof json.error === "string" ? json.error : `HTTP ${res.status}` };
    };
    let result;
    try {
      result = await attempt(true);
      if (!result.ok && result.error === "invalid_client") result = await attempt(false);
    } catch (err) {
      throw new ConflictError(`the IdP's token endpoint ${tokenEndpoint} could not be reached: ${(err as Error).message}`, "client_secret");
    }
    if (!result.ok) {
      throw new ValidationError({ client_secret: `${conn.name} did not issue a token for this client_id and secret (${result.error}): check both, and that the client may use client_credentials` });
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable("applications").set({ proof_of_possession_at: new Date(), updated_at: new Date() }).where("id", "=", app.id).execute();
      await audit(trx, actor, "application.proof_of_possession", { type: "application", id: app.id }, { client_id: app.client_id });
    });
    return this.get(developerId, id);
  }

  async #tokenEndpoint(conn: IdpConnection): Promise<string> {
    const cached = conn.discovery?.token_endpoint;
    if (typeof cached === "string") return cached;
    const url = `${conn.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    let doc: Record<string, unknown>;
    try {
      const res = await fetch(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      throw new ConflictError(`the IdP's discovery document ${url} could not be read: ${(err as Error).message}`, "client_secret");
    }
    if (doc.issuer !== conn.issuer || typeof doc.token_endpoint !== "string") {
      throw new ConflictError(`${url} does not describe issuer ${conn.issuer} with a token_endpoint (OpenID Connect Discovery 4.3)`, "client_secret");
    }
    await this.db.updateTable("idp_connections").set({ discovery: JSON.stringify(doc), discovered_at: new Date() }).where("id", "=", conn.id).execute();
    return doc.token_endpoint;
  }

  /** Returns the IdP-issued secret the developer has not seen yet, and forgets it (shown once). */
  async takeSecret(developerId: string, id: string): Promise<string | undefined> {
    const app = await this.#own(developerId, id);
    if (!app.client_secret_enc) return undefined;
    const taken = await this.db
      .updateTable("applications")
      .set({ client_secret_enc: null })
      .where("id", "=", app.id)
      .where("client_secret_enc", "=", app.client_secret_enc)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return undefined;
    return this.keyring.decrypt(app.client_secret_enc, clientSecretAad(app.id));
  }
}
