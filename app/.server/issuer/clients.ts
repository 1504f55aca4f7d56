/**
 * OAuth clients of the built-in issuer (table oauth_clients).
 *
 * The API the portal and the Admin API call (`cp.issuer.clients`); every method
 * takes an optional kysely Transaction as its last argument and then runs inside it:
 *
 *   create({ name, grant_types, redirect_uris, post_logout_redirect_uris?,
 *            token_endpoint_auth_method, scope?, jwks?, jwks_uri?, resources?,
 *            application_id?, developer_id? }, trx?)
 *     -> { client_id, client_secret? (plaintext, returned this once; absent for
 *          "none" and private_key_jwt), client: ClientView }
 *   get(client_id, trx?)                      -> ClientView | undefined
 *   update(client_id, patch, trx?)            -> ClientView   (patch: any create field)
 *   rotateSecret(client_id, { graceSeconds }, trx?) -> { client_secret }
 *     (the previous secret stays valid for graceSeconds; 0 ends it at once)
 *   delete(client_id, trx?)                   -> boolean
 *
 * Invalid metadata throws ClientMetadataError whose `error` is the RFC 7591 code
 * (invalid_redirect_uri | invalid_client_metadata) and whose message says what to fix.
 *
 * Secrets: 256 random bits, stored as SHA-256, compared in constant time. The
 * token endpoint reads clients through an in-memory cache (`cached`), which the
 * methods here invalidate; entries also expire after a few seconds so a change
 * committed by another process is seen soon.
 */
import type { Kysely, Transaction } from "kysely";
import { randomToken, sha256, verifyHashed } from "../crypto";
import { json, type Database, type OAuthClient, type TokenEndpointAuthMethod } from "../db/schema";

export const SUPPORTED_GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token", "password"] as const;
export type GrantType = (typeof SUPPORTED_GRANT_TYPES)[number];
export const AUTH_METHODS: TokenEndpointAuthMethod[] = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];

/** The oauth_clients columns that come straight from validated client metadata (create and update alike). */
function metadataColumns(m: NormalizedMetadata) {
  return {
    client_name: m.client_name,
    token_endpoint_auth_method: m.token_endpoint_auth_method,
    jwks: m.jwks ? json(m.jwks) : null,
    jwks_uri: m.jwks_uri,
    grant_types: json(m.grant_types),
    response_types: json(m.response_types),
    redirect_uris: json(m.redirect_uris),
    post_logout_redirect_uris: json(m.post_logout_redirect_uris),
    scope: m.scope,
  };
}

export class ClientMetadataError extends Error {
  override name = "ClientMetadataError";
  constructor(
    readonly error: "invalid_redirect_uri" | "invalid_client_metadata",
    message: string,
  ) {
    super(message);
  }
}

export interface ClientInput {
  name?: string | null;
  grant_types?: string[];
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  /** Space-separated scopes the client may ask for. */
  scope?: string | null;
  jwks?: { keys: Record<string, unknown>[] } | null;
  jwks_uri?: string | null;
  /** RFC 8707 resources (audiences) the client may ask for, beside the default audience. */
  resources?: string[];
  application_id?: string | null;
  /** The developer who owns the client (kept in metadata). */
  developer_id?: string | null;
  /** Access token lifetime for this client, seconds (default: ACCESS_TOKEN_TTL). */
  access_token_ttl?: number | null;
}

/** A client as the issuer uses it (no secret material beyond hashes). */
export interface ClientView {
  client_id: string;
  client_name: string | null;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  scope: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  resources: string[];
  application_id: string | null;
  developer_id: string | null;
  access_token_ttl: number | null;
  client_id_issued_at: number;
  /** True when the client has a secret (confidential with client_secret_*). */
  has_secret: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Internal: the row plus the verification material. */
export interface ClientRecord extends ClientView {
  secretHash: string | null;
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
}

type Db = Kysely<Database> | Transaction<Database>;

const MAX_URIS = 20;

function isLoopbackHost(h: string): boolean {
  return h === "localhost" || h === "127.0.0.1" || h === "[::1]";
}

export function validateRedirectUri(u: string, field = "redirect_uris"): void {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new ClientMetadataError("invalid_redirect_uri", `${field}: ${JSON.stringify(u)} is not an absolute URI`);
  }
  if (url.hash || u.includes("#")) throw new ClientMetadataError("invalid_redirect_uri", `${field}: ${JSON.stringify(u)} must not have a fragment (RFC 6749 3.1.2)`);
  if (url.protocol === "javascript:" || url.protocol === "data:" || url.protocol === "file:") {
    throw new ClientMetadataError("invalid_redirect_uri", `${field}: the ${url.protocol} scheme is not allowed`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname) && process.env.GATEHOUSE_ENV === "production") {
    throw new ClientMetadataError("invalid_redirect_uri", `${field}: http is only allowed for loopback hosts; use https`);
  }
  if (u.length > 2000) throw new ClientMetadataError("invalid_redirect_uri", `${field}: URI over 2000 characters`);
}

function stringList(v: unknown, field: string, max = MAX_URIS): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new ClientMetadataError("invalid_client_metadata", `${field}: expected an array of strings`);
  }
  if (v.length > max) throw new ClientMetadataError("invalid_client_metadata", `${field}: at most ${max} entries`);
  return [...new Set(v as string[])];
}

export interface NormalizedMetadata {
  client_name: string | null;
  grant_types: string[];
  response_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scope: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  jwks_uri: string | null;
  resources: string[];
  access_token_ttl: number | null;
}

/** Validates client metadata (create, or a full update after merging). */
export function normalizeMetadata(input: ClientInput): NormalizedMetadata {
  const name = input.name ?? null;
  if (name !== null && (typeof name !== "string" || name.length > 200)) {
    throw new ClientMetadataError("invalid_client_metadata", "client_name: expected a string of at most 200 characters");
  }
  const grant_types = stringList(input.grant_types ?? ["client_credentials"], "grant_types", 4);
  if (!grant_types.length) throw new ClientMetadataError("invalid_client_metadata", "grant_types: at least one grant type is needed");
  for (const g of grant_types) {
    if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(g)) {
      throw new ClientMetadataError("invalid_client_metadata", `grant_types: ${JSON.stringify(g)} is not supported (use ${SUPPORTED_GRANT_TYPES.join(", ")})`);
    }
  }
  if (grant_types.includes("refresh_token") && !grant_types.includes("authorization_code") && !grant_types.includes("password")) {
    throw new ClientMetadataError("invalid_client_metadata", "grant_types: refresh_token needs authorization_code or password beside it");
  }
  const method = input.token_endpoint_auth_method ?? "client_secret_basic";
  if (!AUTH_METHODS.includes(method)) {
    throw new ClientMetadataError("invalid_client_metadata", `token_endpoint_auth_method: expected one of ${AUTH_METHODS.join(", ")}`);
  }
  if (method === "none" && (grant_types.includes("client_credentials") || grant_types.includes("password"))) {
    throw new ClientMetadataError("invalid_client_metadata", "token_endpoint_auth_method none (a public client) cannot use client_credentials or password");
  }
  const redirect_uris = stringList(input.redirect_uris, "redirect_uris");
  redirect_uris.forEach((u) => validateRedirectUri(u));
  if (grant_types.includes("authorization_code") && !redirect_uris.length) {
    throw new ClientMetadataError("invalid_redirect_uri", "redirect_uris: authorization_code needs at least one redirect URI");
  }
  const post_logout_redirect_uris = stringList(input.post_logout_redirect_uris, "post_logout_redirect_uris");
  post_logout_redirect_uris.forEach((u) => validateRedirectUri(u, "post_logout_redirect_uris"));
  let scope = input.scope ?? null;
  if (scope !== null) {
    if (typeof scope !== "string" || !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(scope.trim()) || scope.length > 1000) {
      throw new ClientMetadataError("invalid_client_metadata", "scope: expected space-separated scope tokens (RFC 6749 3.3)");
    }
    scope = [...new Set(scope.trim().split(" "))].join(" ");
  }
  const jwks = input.jwks ?? null;
  if (jwks !== null && (typeof jwks !== "object" || !Array.isArray(jwks.keys) || jwks.keys.length > 10)) {
    throw new ClientMetadataError("invalid_client_metadata", "jwks: expected {\"keys\": [...]} with at most 10 public keys");
  }
  if (jwks?.keys.some((k) => typeof k !== "object" || k === null || "d" in k)) {
    throw new ClientMetadataError("invalid_client_metadata", "jwks: keys must be public JWKs (no private parts)");
  }
  const jwks_uri = input.jwks_uri ?? null;
  if (jwks_uri !== null) {
    let u: URL | undefined;
    try {
      u = new URL(jwks_uri);
    } catch {}
    if (!u || (u.protocol !== "https:" && u.protocol !== "http:")) throw new ClientMetadataError("invalid_client_metadata", "jwks_uri: expected an https URL");
  }
  if (jwks && jwks_uri) throw new ClientMetadataError("invalid_client_metadata", "jwks and jwks_uri: give one, not both (RFC 7591 2)");
  if (method === "private_key_jwt" && !jwks && !jwks_uri) {
    throw new ClientMetadataError("invalid_client_metadata", "private_key_jwt needs jwks or jwks_uri with the client's public keys");
  }
  const resources = stringList(input.resources, "resources");
  for (const r of resources) {
    try {
      const u = new URL(r);
      if (u.hash) throw new Error();
    } catch {
      throw new ClientMetadataError("invalid_client_metadata", `resources: ${JSON.stringify(r)} is not an absolute URI without fragment (RFC 8707)`);
    }
  }
  const ttl = input.access_token_ttl ?? null;
  if (ttl !== null && (!Number.isInteger(ttl) || ttl < 60 || ttl > 86_400)) {
    throw new ClientMetadataError("invalid_client_metadata", "access_token_ttl: expected whole seconds from 60 to 86400");
  }
  return {
    client_name: name,
    grant_types,
    response_types: grant_types.includes("authorization_code") ? ["code"] : [],
    redirect_uris,
    post_logout_redirect_uris,
    token_endpoint_auth_method: method,
    scope,
    jwks,
    jwks_uri,
    resources,
    access_token_ttl: ttl,
  };
}

function needsSecret(method: TokenEndpointAuthMethod): boolean {
  return method === "client_secret_basic" || method === "client_secret_post";
}

export function toView(row: OAuthClient): ClientRecord {
  const meta = (row.metadata ?? {}) as Record<string, unknown>;
  return {
    client_id: row.client_id,
    client_name: row.client_name,
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    grant_types: row.grant_types,
    response_types: row.response_types,
    redirect_uris: row.redirect_uris,
    post_logout_redirect_uris: row.post_logout_redirect_uris,
    scope: row.scope,
    jwks: row.jwks,
    jwks_uri: row.jwks_uri,
    resources: Array.isArray(meta.resources) ? (meta.resources as string[]) : [],
    application_id: row.application_id,
    developer_id: typeof meta.developer_id === "string" ? meta.developer_id : null,
    access_token_ttl: typeof meta.access_token_ttl === "number" ? meta.access_token_ttl : null,
    client_id_issued_at: Math.floor(row.created_at.getTime() / 1000),
    has_secret: row.client_secret_hash !== null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    secretHash: row.client_secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: row.previous_secret_expires_at,
  };
}

/** Public part of a record (drops hashes). */
export function publicView(r: ClientRecord): ClientView {
  const { secretHash: _a, previousSecretHash: _b, previousSecretExpiresAt: _c, ...view } = r;
  return view;
}

/** True when `presented` is the client's current secret, or its previous one inside the grace period. */
export function checkSecret(client: ClientRecord, presented: string, now = Date.now()): boolean {
  // Both comparisons always run, so timing does not tell which one matched.
  const current = client.secretHash ? verifyHashed(presented, client.secretHash) : false;
  const previous =
    client.previousSecretHash && client.previousSecretExpiresAt && client.previousSecretExpiresAt.getTime() > now
      ? verifyHashed(presented, client.previousSecretHash)
      : false;
  return current || previous;
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

export class Clients {
  readonly #cache = new Map<string, { at: number; record: ClientRecord | null }>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The client for the token endpoint, from memory when fresh (null: no such client). */
  async cached(clientId: string): Promise<ClientRecord | null> {
    const hit = this.#cache.get(clientId);
    const now = Date.now();
    if (hit && now - hit.at < CACHE_TTL_MS) return hit.record;
    const row = await this.db.selectFrom("oauth_clients").selectAll().where("client_id", "=", clientId).executeTakeFirst();
    const record = row ? toView(row) : null;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(clientId, { at: now, record });
    return record;
  }

  invalidate(clientId: string): void {
    this.#cache.delete(clientId);
  }

  async create(input: ClientInput, trx?: Transaction<Database>): Promise<{ client_id: string; client_secret?: string; client: ClientView }> {
    const m = normalizeMetadata(input);
    const clientId = randomToken(18);
    const secret = needsSecret(m.token_endpoint_auth_method) ? randomToken(32) : undefined;
    const row = await (trx ?? this.db)
      .insertInto("oauth_clients")
      .values({
        id: crypto.randomUUID(),
        client_id: clientId,
        client_secret_hash: secret ? sha256(secret) : null,
        ...metadataColumns(m),
        metadata: json({ resources: m.resources, developer_id: input.developer_id ?? null, access_token_ttl: m.access_token_ttl }),
        application_id: input.application_id ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.invalidate(clientId);
    return { client_id: clientId, client_secret: secret, client: publicView(toView(row)) };
  }

  async get(clientId: string, trx?: Transaction<Database>): Promise<ClientView | undefined> {
    const r = await this.record(clientId, trx);
    return r ? publicView(r) : undefined;
  }

  /** The client with its secret hashes (for the issuer's own use). */
  async record(clientId: string, trx?: Db): Promise<ClientRecord | undefined> {
    if (typeof clientId !== "string" || clientId.length > 200) return undefined;
    const row = await (trx ?? this.db).selectFrom("oauth_clients").selectAll().where("client_id", "=", clientId).executeTakeFirst();
    return row ? toView(row) : undefined;
  }

  /**
   * Updates the metadata given in `patch` (other fields keep their values). Switching
   * to a client_secret_* method from one without a secret returns a new secret.
   */
  async update(clientId: string, patch: ClientInput, trx?: Transaction<Database>): Promise<ClientView & { client_secret?: string }> {
    const db = trx ?? this.db;
    const cur = await this.record(clientId, db);
    if (!cur) throw new ClientNotFoundError(clientId);
    const merged: ClientInput = {
      name: "name" in patch ? patch.name : cur.client_name,
      grant_types: patch.grant_types ?? cur.grant_types,
      redirect_uris: patch.redirect_uris ?? cur.redirect_uris,
      post_logout_redirect_uris: patch.post_logout_redirect_uris ?? cur.post_logout_redirect_uris,
      token_endpoint_auth_method: patch.token_endpoint_auth_method ?? cur.token_endpoint_auth_method,
      scope: "scope" in patch ? patch.scope : cur.scope,
      jwks: "jwks" in patch ? patch.jwks : "jwks_uri" in patch && patch.jwks_uri ? null : cur.jwks,
      jwks_uri: "jwks_uri" in patch ? patch.jwks_uri : "jwks" in patch && patch.jwks ? null : cur.jwks_uri,
      resources: patch.resources ?? cur.resources,
      access_token_ttl: "access_token_ttl" in patch ? patch.access_token_ttl : cur.access_token_ttl,
    };
    const m = normalizeMetadata(merged);
    let secret: string | undefined;
    let secretHash = cur.secretHash;
    if (needsSecret(m.token_endpoint_auth_method) && !secretHash) {
      secret = randomToken(32);
      secretHash = sha256(secret);
    } else if (!needsSecret(m.token_endpoint_auth_method)) {
      secretHash = null;
    }
    const row = await db
      .updateTable("oauth_clients")
      .set({
        ...metadataColumns(m),
        client_secret_hash: secretHash,
        ...(secretHash ? {} : { previous_secret_hash: null, previous_secret_expires_at: null }),
        metadata: json({
          resources: m.resources,
          developer_id: "developer_id" in patch ? (patch.developer_id ?? null) : cur.developer_id,
          access_token_ttl: m.access_token_ttl,
        }),
        ...("application_id" in patch ? { application_id: patch.application_id ?? null } : {}),
        updated_at: new Date(),
      })
      .where("client_id", "=", clientId)
      .returningAll()
      .executeTakeFirstOrThrow();
    this.invalidate(clientId);
    return { ...publicView(toView(row)), ...(secret ? { client_secret: secret } : {}) };
  }

  /** A new secret; the current one stays valid for `graceSeconds` (default 0). */
  async rotateSecret(clientId: string, opts: { graceSeconds?: number } = {}, trx?: Transaction<Database>): Promise<{ client_secret: string }> {
    const db = trx ?? this.db;
    const cur = await this.record(clientId, db);
    if (!cur) throw new ClientNotFoundError(clientId);
    if (!needsSecret(cur.token_endpoint_auth_method)) {
      throw new ClientMetadataError("invalid_client_metadata", `client ${clientId} uses ${cur.token_endpoint_auth_method}, which has no secret to rotate`);
    }
    const grace = Math.max(0, Math.min(opts.graceSeconds ?? 0, 30 * 86_400));
    const secret = randomToken(32);
    await db
      .updateTable("oauth_clients")
      .set({
        client_secret_hash: sha256(secret),
        previous_secret_hash: grace > 0 ? cur.secretHash : null,
        previous_secret_expires_at: grace > 0 ? new Date(Date.now() + grace * 1000) : null,
        updated_at: new Date(),
      })
      .where("client_id", "=", clientId)
      .execute();
    this.invalidate(clientId);
    return { client_secret: secret };
  }

  async delete(clientId: string, trx?: Transaction<Database>): Promise<boolean> {
    const r = await (trx ?? this.db).deleteFrom("oauth_clients").where("client_id", "=", clientId).executeTakeFirst();
    this.invalidate(clientId);
    return Number(r.numDeletedRows) > 0;
  }

  /** Sets or replaces the RFC 7592 registration access token (stored as a hash). */
  async setRegistrationToken(clientId: string, tokenHash: string | null, trx?: Db): Promise<void> {
    await (trx ?? this.db)
      .updateTable("oauth_clients")
      .set({ registration_access_token_hash: tokenHash, updated_at: new Date() })
      .where("client_id", "=", clientId)
      .execute();
  }
}

export class ClientNotFoundError extends Error {
  override name = "ClientNotFoundError";
  constructor(clientId: string) {
    super(`no client ${JSON.stringify(clientId)} at the built-in issuer`);
  }
}
