/**
 * IdP connections: the issuers applications get their clients from. The
 * built-in issuer is one from the first start (mode builtin); admins add dcr and
 * manual ones. The initial access token is stored encrypted and never returned.
 */
import type { Kysely } from "kysely";
import { audit, type Actor } from "../audit";
import { changeConfig, type ConfigEvents } from "../config-version";
import type { Keyring } from "../crypto";
import type { Database, IdpConnection, IdpMode, IdpProvider } from "../db/schema";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { BuiltinIssuerAdapter, type BuiltinClientsApi } from "./builtin";
import { GenericDcrAdapter } from "./dcr";
import type { IdpAdapter } from "./types";

/** The claim that names the application in each provider's access tokens (admins may change it). */
export const PROFILE_DEFAULT_CLAIM: Record<IdpProvider, string> = {
  builtin: "application_id",
  okta: "application_id",
  keycloak: "azp",
  auth0: "azp",
  entra: "azp",
  generic: "client_id",
};

const PROVIDERS = Object.keys(PROFILE_DEFAULT_CLAIM) as IdpProvider[];

export function initialAccessTokenAad(connectionId: string): string {
  return `idp_connections:initial_access_token:${connectionId}`;
}

export interface IdpConnectionView {
  id: string;
  name: string;
  issuer: string;
  mode: IdpMode;
  provider: IdpProvider;
  registration_endpoint: string | null;
  has_initial_access_token: boolean;
  application_claim: string;
  enabled: boolean;
  created_at: number;
  updated_at: number;
}

export function viewConnection(c: IdpConnection): IdpConnectionView {
  return {
    id: c.id,
    name: c.name,
    issuer: c.issuer,
    mode: c.mode,
    provider: c.provider,
    registration_endpoint: c.registration_endpoint,
    has_initial_access_token: !!c.initial_access_token_enc,
    application_claim: c.application_claim,
    enabled: c.enabled,
    created_at: Math.floor(c.created_at.getTime() / 1000),
    updated_at: Math.floor(c.updated_at.getTime() / 1000),
  };
}

function checkUrl(v: unknown, field: string, fields: Record<string, string>, allowHttp: boolean): string | undefined {
  if (typeof v !== "string" || !v.trim()) return undefined;
  let u: URL;
  try {
    u = new URL(v.trim());
  } catch {
    fields[field] = `${field} must be an absolute URL, like https://idp.example.com`;
    return undefined;
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  if (u.protocol !== "https:" && !(u.protocol === "http:" && (allowHttp || loopback))) {
    fields[field] = `${field} must use https (http is accepted only for loopback addresses)`;
    return undefined;
  }
  if (u.hash || u.username || u.password) {
    fields[field] = `${field} must not carry a fragment or credentials`;
    return undefined;
  }
  // kept as written: an issuer identifier is compared exactly with a token's iss (Auth0's ends in "/")
  return (v as string).trim();
}

export interface IdpConnectionInput {
  name?: unknown;
  issuer?: unknown;
  mode?: unknown;
  provider?: unknown;
  registration_endpoint?: unknown;
  initial_access_token?: unknown;
  application_claim?: unknown;
  enabled?: unknown;
}

export class IdpConnections {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly keyring: Keyring,
    private readonly events: ConfigEvents,
    private readonly opts: { allowHttp: boolean; builtinClients?: () => BuiltinClientsApi | undefined },
  ) {}

  list(): Promise<IdpConnection[]> {
    return this.db.selectFrom("idp_connections").selectAll().orderBy("created_at").orderBy("name").execute();
  }

  async get(idOrName: string): Promise<IdpConnection> {
    const q = this.db.selectFrom("idp_connections").selectAll();
    const row = /^[0-9a-f-]{36}$/i.test(idOrName)
      ? await q.where("id", "=", idOrName).executeTakeFirst()
      : await q.where("name", "=", idOrName).executeTakeFirst();
    if (!row) throw new NotFoundError(`no IdP connection ${idOrName}`);
    return row;
  }

  async builtin(): Promise<IdpConnection | undefined> {
    return this.db.selectFrom("idp_connections").selectAll().where("mode", "=", "builtin").executeTakeFirst();
  }

  #validate(input: IdpConnectionInput, existing?: IdpConnection) {
    const fields: Record<string, string> = {};
    const name = input.name === undefined ? existing?.name : typeof input.name === "string" ? input.name.trim() : "";
    if (!name) fields.name = "name is required";
    else if (name.length > 100 || !/^[\w.@ -]+$/.test(name)) fields.name = "name: at most 100 letters, digits, spaces and . _ - @";
    const mode = (input.mode === undefined ? existing?.mode : input.mode) as IdpMode | undefined;
    if (existing && input.mode !== undefined && input.mode !== existing.mode) fields.mode = "mode cannot change: create another connection";
    else if (!existing && mode !== "dcr" && mode !== "manual") {
      fields.mode = mode === "builtin" ? "there is one builtin connection, created at the first start" : "mode must be dcr or manual";
    }
    let issuer = existing?.issuer;
    if (input.issuer !== undefined) {
      if (existing?.mode === "builtin") fields.issuer = "the built-in issuer's URL follows PUBLIC_URL";
      else issuer = checkUrl(input.issuer, "issuer", fields, this.opts.allowHttp);
    }
    if (!issuer && !fields.issuer) fields.issuer = "issuer is required (the IdP's issuer identifier)";
    const provider = (input.provider === undefined ? (existing?.provider ?? "generic") : input.provider) as IdpProvider;
    if (!PROVIDERS.includes(provider) || (provider === "builtin" && existing?.mode !== "builtin")) {
      fields.provider = "provider must be one of generic, okta, keycloak, auth0, entra";
    }
    let registration_endpoint = existing?.registration_endpoint ?? null;
    if (input.registration_endpoint !== undefined) {
      registration_endpoint = input.registration_endpoint === null || input.registration_endpoint === "" ? null : (checkUrl(input.registration_endpoint, "registration_endpoint", fields, this.opts.allowHttp) ?? null);
    }
    if (mode === "dcr" && !registration_endpoint && !fields.registration_endpoint) {
      fields.registration_endpoint = "registration_endpoint is required for mode dcr (the IdP's RFC 7591 endpoint); the issuer's discovery document did not name one";
    }
    let application_claim = existing?.application_claim ?? PROFILE_DEFAULT_CLAIM[PROVIDERS.includes(provider) ? provider : "generic"];
    if (input.application_claim !== undefined && input.application_claim !== null && input.application_claim !== "") {
      if (typeof input.application_claim !== "string" || !/^[A-Za-z0-9_:.\-/]{1,100}$/.test(input.application_claim)) {
        fields.application_claim = "application_claim must be a claim name, like azp or application_id";
      } else application_claim = input.application_claim;
    }
    let iat: string | null | undefined;
    if (input.initial_access_token !== undefined) {
      if (input.initial_access_token === null || input.initial_access_token === "") iat = null;
      else if (typeof input.initial_access_token !== "string" || input.initial_access_token.length > 4096) fields.initial_access_token = "initial_access_token must be a string";
      else iat = input.initial_access_token;
    }
    if (input.enabled !== undefined && typeof input.enabled !== "boolean") fields.enabled = "enabled must be true or false";
    if (Object.keys(fields).length) throw new ValidationError(fields);
    return { name: name!, mode: mode!, issuer: issuer!, provider, registration_endpoint, application_claim, iat, enabled: input.enabled as boolean | undefined };
  }

  /**
   * A dcr connection without registration_endpoint takes it from the issuer's
   * discovery document (OpenID Connect Discovery; its issuer must match exactly).
   */
  async #discover(issuer: string): Promise<Record<string, unknown> | undefined> {
    const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    try {
      const res = await fetch(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(10_000) });
      if (!res.ok) return undefined;
      const doc = (await res.json()) as Record<string, unknown>;
      return doc && doc.issuer === issuer ? doc : undefined;
    } catch {
      return undefined;
    }
  }

  async create(input: IdpConnectionInput, actor: Actor): Promise<IdpConnection> {
    let discovery: Record<string, unknown> | undefined;
    if (input.mode === "dcr" && (input.registration_endpoint === undefined || input.registration_endpoint === null || input.registration_endpoint === "") && typeof input.issuer === "string") {
      const fields: Record<string, string> = {};
      const issuer = checkUrl(input.issuer, "issuer", fields, this.opts.allowHttp);
      discovery = issuer ? await this.#discover(issuer) : undefined;
      if (typeof discovery?.registration_endpoint === "string") input = { ...input, registration_endpoint: discovery.registration_endpoint };
    }
    const v = this.#validate(input);
    const id = crypto.randomUUID();
    try {
      return await changeConfig(this.db, this.events, async (trx) => {
        const row = await trx
          .insertInto("idp_connections")
          .values({
            id,
            name: v.name,
            issuer: v.issuer,
            mode: v.mode,
            provider: v.provider,
            registration_endpoint: v.registration_endpoint,
            initial_access_token_enc: v.iat ? this.keyring.encrypt(v.iat, initialAccessTokenAad(id)) : null,
            application_claim: v.application_claim,
            enabled: v.enabled ?? true,
            ...(discovery ? { discovery: JSON.stringify(discovery), discovered_at: new Date() } : {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(trx, actor, "idp_connection.create", { type: "idp_connection", id }, { name: v.name, issuer: v.issuer, mode: v.mode });
        return row;
      });
    } catch (err) {
      throw await this.#conflict(err, v.name, v.issuer);
    }
  }

  async update(idOrName: string, input: IdpConnectionInput, actor: Actor): Promise<IdpConnection> {
    const existing = await this.get(idOrName);
    const v = this.#validate(input, existing);
    try {
      return await changeConfig(this.db, this.events, async (trx) => {
        const row = await trx
          .updateTable("idp_connections")
          .set({
            name: v.name,
            issuer: v.issuer,
            provider: v.provider,
            registration_endpoint: v.registration_endpoint,
            ...(v.iat !== undefined ? { initial_access_token_enc: v.iat ? this.keyring.encrypt(v.iat, initialAccessTokenAad(existing.id)) : null } : {}),
            application_claim: v.application_claim,
            ...(v.enabled !== undefined ? { enabled: v.enabled } : {}),
            updated_at: new Date(),
          })
          .where("id", "=", existing.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(trx, actor, "idp_connection.update", { type: "idp_connection", id: existing.id }, { fields: Object.keys(input).filter((k) => k !== "initial_access_token") });
        return row;
      });
    } catch (err) {
      throw await this.#conflict(err, v.name, v.issuer);
    }
  }

  async delete(idOrName: string, actor: Actor): Promise<void> {
    const existing = await this.get(idOrName);
    if (existing.mode === "builtin") throw new ConflictError("the built-in issuer's connection cannot be deleted");
    const used = await this.db.selectFrom("applications").select((eb) => eb.fn.countAll<number>().as("n")).where("idp_connection_id", "=", existing.id).executeTakeFirstOrThrow();
    if (Number(used.n) > 0) throw new ConflictError(`${used.n} application(s) use this connection: delete them first`);
    await changeConfig(this.db, this.events, async (trx) => {
      await trx.deleteFrom("idp_connections").where("id", "=", existing.id).execute();
      await audit(trx, actor, "idp_connection.delete", { type: "idp_connection", id: existing.id }, { name: existing.name });
    });
  }

  async #conflict(err: unknown, name: string, issuer: string): Promise<unknown> {
    const msg = String((err as Error).message ?? "");
    if (!/unique|duplicate/i.test(msg)) return err;
    const byName = await this.db.selectFrom("idp_connections").select("id").where("name", "=", name).executeTakeFirst();
    if (byName) return new ConflictError(`an IdP connection named ${name} exists`, "name");
    return new ConflictError(`an IdP connection for issuer ${issuer} exists`, "issuer");
  }

  /** The adapter that manages clients at this connection's IdP (none for manual connections). */
  adapterFor(conn: IdpConnection, applicationId: string): IdpAdapter | undefined {
    if (conn.mode === "builtin") return new BuiltinIssuerAdapter(this.opts.builtinClients?.(), applicationId);
    if (conn.mode === "dcr") {
      return new GenericDcrAdapter({
        registrationEndpoint: conn.registration_endpoint!,
        initialAccessToken: conn.initial_access_token_enc ? this.keyring.decrypt(conn.initial_access_token_enc, initialAccessTokenAad(conn.id)) : null,
      });
    }
    return undefined;
  }
}
