/**
 * The built-in issuer ("exposed issuer"): an OAuth 2.0 / OIDC authorization server
 * at <PUBLIC_URL>/oauth2, created once by createControlPlane as `cp.issuer`.
 *
 * `handle(req, res)` answers the plain node:http endpoints ahead of Remix:
 *   GET  /oauth2/.well-known/openid-configuration     OIDC discovery
 *   GET  /.well-known/oauth-authorization-server/oauth2   RFC 8414 metadata
 *   GET  /oauth2/jwks                                  JWKS
 *   POST /oauth2/token                                 RFC 6749 token endpoint
 *   POST /oauth2/introspect                            RFC 7662
 *   POST /oauth2/revoke                                RFC 7009
 *   GET|POST /oauth2/userinfo                          OIDC userinfo
 *   POST /oauth2/register, GET|PUT|DELETE /oauth2/register/<client_id>,
 *   POST /oauth2/register/<client_id>/secret           RFC 7591 / 7592 (+ secret rotation)
 * /oauth2/authorize and /oauth2/logout are Remix routes (they need the portal
 * session, the login page and a CSRF-protected consent form); they call
 * `authorization` here.
 *
 * Every URL is built from PUBLIC_URL (cp.urls), never from the request's Host.
 */
import OAuth2Server, { OAuthError, Request as OAuthRequest, Response as OAuthResponse } from "@node-oauth/oauth2-server";
import * as jose from "jose";
import type { Kysely } from "kysely";
import type http from "node:http";
import type { Config } from "../../../lib/config";
import type { Logger } from "../../../lib/log";
import { bumpConfigVersion, type ConfigEvents } from "../config-version";
import type { Keyring } from "../crypto";
import { sha256 } from "../crypto";
import type { Database } from "../db/schema";
import { BodyTooLargeError, readBody, sendJson } from "../http/util";
import { Authorization } from "./authorize";
import { authenticateClient, ASSERTION_ALGS, type ClientAuthDeps } from "./client-auth";
import { Clients, type ClientRecord } from "./clients";
import { invalidRequest, invalidTarget, OAuthHttpError, unauthorizedClient } from "./errors";
import { InitialAccessTokens, type InitialAccessTokenOptions } from "./initial-access-tokens";
import { Keys } from "./keys";
import { createModel, OIDC_SCOPES, REFRESH_TOKEN_TTL, revokeFamily, userClaims, type IssuerSettings, type LibClient } from "./model";
import { Registration } from "./registration";

export interface IssuerDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  config: Config;
  urls: { public: string; proxy: string; issuer: string };
  log: Logger;
  configEvents: ConfigEvents;
}

/** Token endpoint bodies are small; anything larger is refused before parsing. */
export const MAX_FORM_BYTES = 16 * 1024;
export const MAX_JSON_BYTES = 64 * 1024;

const CORS_PATHS = new Set([
  "/oauth2/.well-known/openid-configuration",
  "/.well-known/oauth-authorization-server/oauth2",
  "/oauth2/jwks",
  "/oauth2/token",
  "/oauth2/userinfo",
  "/oauth2/revoke",
]);

const GRANTS = ["authorization_code", "client_credentials", "refresh_token", "password"];

export interface VerifiedAccessToken {
  claims: jose.JWTPayload & { client_id?: string; scope?: string };
}

export class Issuer {
  readonly clients: Clients;
  readonly keys: Keys;
  readonly initialAccessTokens: InitialAccessTokens;
  readonly registration: {
    /** Mints an initial access token for RFC 7591 registration; plaintext returned once. */
    createInitialAccessToken(opts?: InitialAccessTokenOptions): Promise<string>;
  };
  readonly authorization: Authorization;
  readonly settings: IssuerSettings;
  readonly #server: OAuth2Server;
  readonly #clientAuth: ClientAuthDeps;
  readonly #registration: Registration;
  #applicationClaim: string;
  #claimLoadedAt = 0;

  constructor(private readonly deps: IssuerDeps) {
    const { db, config, urls } = deps;
    this.clients = new Clients(db);
    this.keys = new Keys(db, deps.keyring, { alg: config.issuer.signingAlg, accessTokenTtl: config.issuer.accessTokenTtl });
    this.initialAccessTokens = new InitialAccessTokens(db);
    this.registration = { createInitialAccessToken: (opts) => this.initialAccessTokens.create(opts) };
    this.#applicationClaim = config.issuer.applicationClaim;
    this.settings = {
      issuer: urls.issuer,
      defaultAudience: config.issuer.audience ?? urls.proxy,
      accessTokenTtl: config.issuer.accessTokenTtl,
      applicationClaim: () => this.#applicationClaim,
    };
    const noClientAuth = Object.fromEntries(GRANTS.map((g) => [g, false]));
    this.#server = new OAuth2Server({
      model: createModel(this.#modelDeps(), undefined as unknown as LibClient),
      accessTokenLifetime: config.issuer.accessTokenTtl,
      refreshTokenLifetime: REFRESH_TOKEN_TTL,
      allowExtendedTokenAttributes: true,
      // Client authentication already ran (client-auth.ts); the library only runs the grant.
      requireClientAuthentication: noClientAuth,
      alwaysIssueNewRefreshToken: true,
    });
    this.#clientAuth = {
      clients: this.clients,
      issuer: urls.issuer,
      audiences: [this.endpoint("token"), urls.issuer, this.endpoint("introspect"), this.endpoint("revoke")],
      seenAssertions: new Map(),
      remoteJwks: new Map(),
    };
    this.authorization = new Authorization({ db, clients: this.clients, settings: this.settings, endpoint: (n) => this.endpoint(n) });
    this.#registration = new Registration({
      db,
      clients: this.clients,
      initialAccessTokens: this.initialAccessTokens,
      registrationEndpoint: this.endpoint("register"),
    });
  }

  #modelDeps() {
    return { db: this.deps.db, keys: this.keys, settings: this.settings, log: this.deps.log, configEvents: this.deps.configEvents };
  }

  /**
   * Creates the signing keys on first boot and reads the application claim's name.
   * The built-in IdP connection's application_claim names it; ISSUER_APPLICATION_CLAIM,
   * when set to another name than the default, is written into that row on start
   * (with a config version bump: the gateway reads the name from the row).
   */
  async start(): Promise<void> {
    await this.keys.ensure();
    const wanted = this.deps.config.issuer.applicationClaim;
    if (wanted !== "application_id") {
      const row = await this.deps.db.selectFrom("idp_connections").select(["id", "application_claim"]).where("mode", "=", "builtin").executeTakeFirst();
      if (row && row.application_claim !== wanted) {
        const version = await this.deps.db.transaction().execute(async (trx) => {
          await trx.updateTable("idp_connections").set({ application_claim: wanted, updated_at: new Date() }).where("id", "=", row.id).execute();
          return bumpConfigVersion(trx);
        });
        this.deps.configEvents.observe(version);
        this.deps.log.info("built-in issuer: application claim set from ISSUER_APPLICATION_CLAIM", { claim: wanted, was: row.application_claim });
      }
    }
    await this.#refreshClaimName(true);
  }

  /** Re-reads settings kept in the database now (the application claim's name); otherwise every 30 s. */
  async reloadSettings(): Promise<void> {
    await this.#refreshClaimName(true);
  }

  async #refreshClaimName(force = false): Promise<void> {
    if (!force && Date.now() - this.#claimLoadedAt < 30_000) return;
    this.#claimLoadedAt = Date.now();
    try {
      const row = await this.deps.db.selectFrom("idp_connections").select("application_claim").where("mode", "=", "builtin").executeTakeFirst();
      if (row?.application_claim) this.#applicationClaim = row.application_claim;
    } catch (err) {
      this.deps.log.warn("could not read the built-in IdP connection's application claim", { err });
    }
  }

  endpoint(name: "token" | "authorize" | "jwks" | "introspect" | "revoke" | "userinfo" | "register" | "logout"): string {
    return `${this.deps.urls.issuer}/${name}`;
  }

  /** OIDC discovery / RFC 8414 metadata. */
  metadata(): Record<string, unknown> {
    const alg = this.deps.config.issuer.signingAlg;
    return {
      issuer: this.deps.urls.issuer,
      authorization_endpoint: this.endpoint("authorize"),
      token_endpoint: this.endpoint("token"),
      jwks_uri: this.endpoint("jwks"),
      userinfo_endpoint: this.endpoint("userinfo"),
      registration_endpoint: this.endpoint("register"),
      introspection_endpoint: this.endpoint("introspect"),
      revocation_endpoint: this.endpoint("revoke"),
      end_session_endpoint: this.endpoint("logout"),
      scopes_supported: OIDC_SCOPES,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: GRANTS,
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: [...new Set([alg, "ES256", "RS256"])],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      introspection_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
      code_challenge_methods_supported: ["S256"],
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email", "email_verified", "name"],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
    };
  }

  /** The plain HTTP handler: true when it answered the request. */
  handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> => {
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const pathname = q < 0 ? raw : raw.slice(0, q);
    if (!pathname.startsWith("/oauth2/") && pathname !== "/.well-known/oauth-authorization-server/oauth2") return false;
    const method = req.method ?? "GET";
    // Browser-based (public) clients call these cross-origin; no cookies are involved, so any origin may read.
    if (CORS_PATHS.has(pathname)) {
      res.setHeader("access-control-allow-origin", "*");
      if (method === "OPTIONS") {
        req.resume();
        res.writeHead(204, {
          "access-control-allow-methods": "GET, POST",
          "access-control-allow-headers": "authorization, content-type, dpop",
          "access-control-max-age": "600",
        });
        res.end();
        return true;
      }
    }
    try {
      switch (pathname) {
        case "/oauth2/.well-known/openid-configuration":
        case "/.well-known/oauth-authorization-server/oauth2":
          return this.#get(req, res, () => sendJson(res, 200, this.metadata(), { "cache-control": "public, max-age=300" }));
        case "/oauth2/jwks":
          return this.#get(req, res, async () =>
            sendJson(res, 200, await this.keys.jwks(), { "cache-control": "public, max-age=60", "content-type": "application/jwk-set+json" }),
          );
        case "/oauth2/token":
          await this.#post(req, res, () => this.#token(req, res));
          return true;
        case "/oauth2/introspect":
          await this.#post(req, res, () => this.#introspect(req, res));
          return true;
        case "/oauth2/revoke":
          await this.#post(req, res, () => this.#revoke(req, res));
          return true;
        case "/oauth2/userinfo":
          if (method !== "GET" && method !== "POST") return this.#methodNotAllowed(res, "GET, POST");
          await this.#userinfo(req, res);
          return true;
      }
      if (pathname === "/oauth2/register" || pathname.startsWith("/oauth2/register/")) {
        await this.#registration.handle(req, res, pathname.slice("/oauth2/register".length));
        return true;
      }
      // Anything else under /oauth2 (the Remix pages and their .data requests) is Remix's.
      return false;
    } catch (err) {
      if (err instanceof OAuthHttpError) {
        sendJson(res, err.status, err.body(), { "cache-control": "no-store", pragma: "no-cache", ...err.headers });
        return true;
      }
      this.deps.log.error("issuer request failed", { err, path: pathname });
      if (!res.headersSent) sendJson(res, 500, { error: "server_error", error_description: "internal error" }, { "cache-control": "no-store" });
      return true;
    }
  };

  async #get(req: http.IncomingMessage, res: http.ServerResponse, fn: () => unknown): Promise<boolean> {
    if (req.method !== "GET" && req.method !== "HEAD") return this.#methodNotAllowed(res, "GET");
    await fn();
    return true;
  }

  #methodNotAllowed(res: http.ServerResponse, allow: string): true {
    sendJson(res, 405, { error: "invalid_request", error_description: `method not allowed; use ${allow}` }, { allow });
    return true;
  }

  async #post(req: http.IncomingMessage, res: http.ServerResponse, fn: () => Promise<void>): Promise<void> {
    if (req.method !== "POST") {
      this.#methodNotAllowed(res, "POST");
      return;
    }
    await fn();
  }

  /** Reads an application/x-www-form-urlencoded body; each parameter at most once (RFC 6749 3.1, 3.2). */
  async #form(req: http.IncomingMessage): Promise<URLSearchParams> {
    const ct = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (ct !== "application/x-www-form-urlencoded") {
      req.resume();
      throw invalidRequest("the body must be application/x-www-form-urlencoded (RFC 6749 3.2)");
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_FORM_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new OAuthHttpError(413, "invalid_request", `the body is over ${MAX_FORM_BYTES} bytes`);
      throw err;
    }
    const text = body.toString("utf8");
    if (text.includes("\uFFFD") && !body.equals(Buffer.from(text, "utf8"))) throw invalidRequest("the body is not valid UTF-8");
    const params = new URLSearchParams(text);
    const seen = new Set<string>();
    for (const [k, v] of params) {
      if (seen.has(k)) throw invalidRequest(`parameter ${k} is repeated; each parameter may appear once (RFC 6749 3.2)`);
      seen.add(k);
      if (v.length > 4096) throw invalidRequest(`parameter ${k} is too long`);
    }
    return params;
  }

  #noStore = { "cache-control": "no-store", pragma: "no-cache" };

  /** Checks an RFC 8707 resource against what the client may use; null when absent. */
  #resource(client: ClientRecord, params: URLSearchParams): string | null {
    const r = params.get("resource");
    if (r === null) return null;
    let u: URL;
    try {
      u = new URL(r);
    } catch {
      throw invalidTarget("resource must be an absolute URI (RFC 8707 2)");
    }
    if (u.hash) throw invalidTarget("resource must not have a fragment (RFC 8707 2)");
    return checkResource(r, client, this.settings.defaultAudience);
  }

  async #token(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const params = await this.#form(req);
    const client = await authenticateClient(this.#clientAuth, req, params);
    const grantType = params.get("grant_type");
    if (!grantType) throw invalidRequest("grant_type is missing");
    if (!GRANTS.includes(grantType)) throw new OAuthHttpError(400, "unsupported_grant_type", `grant_type ${JSON.stringify(grantType.slice(0, 100))} is not supported (use ${GRANTS.join(", ")})`);
    if (!client.grant_types.includes(grantType)) throw unauthorizedClient(`this client may not use the ${grantType} grant (its grant_types: ${client.grant_types.join(", ")})`);
    if (grantType === "authorization_code" && client.token_endpoint_auth_method === "none" && !params.get("code_verifier")) {
      throw invalidRequest("code_verifier is missing: public clients must use PKCE (RFC 7636)");
    }
    const resource = this.#resource(client, params);
    await this.#refreshClaimName();

    const libClient: LibClient = {
      id: client.client_id,
      grants: client.grant_types,
      redirectUris: client.redirect_uris,
      accessTokenLifetime: client.access_token_ttl ?? this.settings.accessTokenTtl,
      refreshTokenLifetime: REFRESH_TOKEN_TTL,
      record: client,
      ctx: { grantType, resource },
    };
    const body: Record<string, string> = {};
    for (const [k, v] of params) if (k !== "client_secret" && k !== "client_assertion") body[k] = v;
    body.client_id = client.client_id;
    const request = new OAuthRequest({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "content-length": "1" },
      query: {},
      body,
    });
    const response = new OAuthResponse({ headers: {} });
    try {
      await this.#server.token(request, response, { model: createModel(this.#modelDeps(), libClient) } as never);
    } catch (err) {
      throw translateLibraryError(err, this.deps.log);
    }
    const out = response.body as Record<string, unknown>;
    if (out.scope === "") delete out.scope;
    sendJson(res, 200, out, this.#noStore);
  }

  /** Verifies one of our access tokens (signature, iss, typ, exp); null when it is not one. */
  async verifyAccessToken(token: string): Promise<VerifiedAccessToken | null> {
    if (token.length > 8192 || token.split(".").length !== 3) return null;
    try {
      const header = jose.decodeProtectedHeader(token);
      const k = await this.keys.verifyKey(header.kid);
      if (!k) return null;
      const { payload } = await jose.jwtVerify(token, k.key, {
        issuer: this.deps.urls.issuer,
        typ: "at+jwt",
        algorithms: [k.alg],
        requiredClaims: ["exp", "iat", "jti", "sub"],
      });
      return { claims: payload };
    } catch {
      return null;
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    const row = await this.deps.db.selectFrom("revoked_tokens").select("jti").where("jti", "=", jti).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Revokes an access token by jti until its exp: it goes into the gateway's
   * snapshot (config_version is bumped in the same transaction).
   */
  async revokeAccessToken(jti: string, exp: Date): Promise<void> {
    const version = await this.deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("revoked_tokens").where("exp", "<", new Date()).execute();
      await trx
        .insertInto("revoked_tokens")
        .values({ jti, exp })
        .onConflict((oc) => oc.column("jti").doNothing())
        .execute();
      return bumpConfigVersion(trx);
    });
    this.deps.configEvents.observe(version);
  }

  async #introspect(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const params = await this.#form(req);
    const client = await authenticateClient(this.#clientAuth, req, params);
    if (client.token_endpoint_auth_method === "none") {
      throw new OAuthHttpError(401, "invalid_client", "introspection needs an authenticated (confidential) client (RFC 7662 2.1)");
    }
    const token = params.get("token");
    if (!token) throw invalidRequest("token is missing (RFC 7662 2.1)");
    const hint = params.get("token_type_hint");
    const inactive = () => sendJson(res, 200, { active: false }, this.#noStore);
    const tryAccess = async () => {
      const v = await this.verifyAccessToken(token);
      if (!v) return false;
      if (await this.isRevoked(String(v.claims.jti))) return inactive(), true;
      const c = v.claims;
      sendJson(
        res,
        200,
        {
          active: true,
          token_type: "Bearer",
          ...c,
        },
        this.#noStore,
      );
      return true;
    };
    const tryRefresh = async () => {
      if (token.length > 200) return false;
      const row = await this.deps.db.selectFrom("refresh_tokens").selectAll().where("token_hash", "=", sha256(token)).executeTakeFirst();
      if (!row) return false;
      if (row.client_id !== client.client_id || row.used_at || row.revoked_at || row.expires_at.getTime() <= Date.now()) return inactive(), true;
      sendJson(
        res,
        200,
        {
          active: true,
          token_type: "refresh_token",
          client_id: row.client_id,
          sub: row.developer_id ?? row.client_id,
          scope: row.scope ?? undefined,
          exp: Math.floor(row.expires_at.getTime() / 1000),
          iat: Math.floor(row.created_at.getTime() / 1000),
          iss: this.deps.urls.issuer,
        },
        this.#noStore,
      );
      return true;
    };
    const order = hint === "refresh_token" ? [tryRefresh, tryAccess] : [tryAccess, tryRefresh];
    for (const f of order) if (await f()) return;
    inactive();
  }

  async #revoke(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const params = await this.#form(req);
    const client = await authenticateClient(this.#clientAuth, req, params);
    const token = params.get("token");
    if (!token) throw invalidRequest("token is missing (RFC 7009 2.1)");
    const hint = params.get("token_type_hint");
    if (hint !== null && hint !== "access_token" && hint !== "refresh_token") {
      throw new OAuthHttpError(400, "unsupported_token_type", `token_type_hint ${JSON.stringify(hint.slice(0, 50))} is not supported (RFC 7009 2.2.1)`);
    }
    const v = await this.verifyAccessToken(token);
    if (v) {
      // RFC 7009 2.1: only the client the token was issued to may revoke it; others get 200 and nothing happens.
      if (v.claims.client_id === client.client_id && v.claims.jti && v.claims.exp) {
        await this.revokeAccessToken(String(v.claims.jti), new Date(v.claims.exp * 1000));
      }
    } else if (token.length <= 200) {
      const row = await this.deps.db.selectFrom("refresh_tokens").select(["client_id", "family_id"]).where("token_hash", "=", sha256(token)).executeTakeFirst();
      if (row && row.client_id === client.client_id) await revokeFamily(this.#modelDeps(), row.family_id);
    }
    res.writeHead(200, { ...this.#noStore, "content-length": 0 });
    res.end();
  }

  async #userinfo(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const challenge = (error?: string, description?: string) =>
      `Bearer realm="${this.deps.urls.issuer}"` + (error ? `, error="${error}", error_description="${description}"` : "");
    const authz = req.headers.authorization ?? "";
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authz.trim());
    req.resume();
    if (!m) {
      sendJson(res, 401, { error: "invalid_token", error_description: "send the access token as Authorization: Bearer" }, { "www-authenticate": challenge() });
      return;
    }
    const v = await this.verifyAccessToken(m[1]);
    if (!v || (await this.isRevoked(String(v.claims.jti)))) {
      sendJson(res, 401, { error: "invalid_token", error_description: "the access token is invalid, expired or revoked" }, { "www-authenticate": challenge("invalid_token", "the access token is invalid, expired or revoked") });
      return;
    }
    const scope = typeof v.claims.scope === "string" ? v.claims.scope.split(" ") : [];
    if (!scope.includes("openid")) {
      sendJson(res, 403, { error: "insufficient_scope", error_description: "userinfo needs a token with the openid scope" }, { "www-authenticate": challenge("insufficient_scope", "openid scope required") });
      return;
    }
    const dev = await this.deps.db.selectFrom("developers").selectAll().where("id", "=", String(v.claims.sub)).executeTakeFirst();
    if (!dev || dev.status !== "approved") {
      sendJson(res, 401, { error: "invalid_token", error_description: "the token's subject is not an active developer" }, { "www-authenticate": challenge("invalid_token", "unknown subject") });
      return;
    }
    sendJson(res, 200, { sub: dev.id, ...userClaims(dev, scope) }, this.#noStore);
  }
}

/** The resource (audience) a client asked for, if it may use it; throws invalid_target otherwise. */
export function checkResource(r: string, client: ClientRecord, defaultAudience: string): string {
  const allowed =
    r === defaultAudience ||
    r.startsWith(defaultAudience.replace(/\/+$/, "") + "/") ||
    client.resources.includes(r);
  if (!allowed) throw invalidTarget(`resource ${JSON.stringify(r.slice(0, 200))} is not one this client may ask for (RFC 8707 2)`);
  return r;
}

/** Maps the library's errors to RFC 6749 5.2 responses (its redirect_uri mismatch is invalid_grant per 4.1.3). */
export function translateLibraryError(err: unknown, log: Logger): OAuthHttpError {
  if (err instanceof OAuthHttpError) return err;
  if (err instanceof OAuthError) {
    const e = err as OAuthError & { code: number; name: string; message: string };
    if (e.name === "server_error") {
      log.error("token grant failed", { err: (e as { inner?: unknown }).inner ?? e });
      return new OAuthHttpError(500, "server_error", "internal error");
    }
    let name = e.name;
    if (/redirect_uri/.test(e.message)) name = "invalid_grant";
    if (e.name === "invalid_client") return new OAuthHttpError(401, "invalid_client", e.message);
    return new OAuthHttpError(e.code && e.code < 500 ? e.code : 400, name, e.message);
  }
  log.error("token grant failed", { err });
  return new OAuthHttpError(500, "server_error", "internal error");
}

export async function createIssuer(deps: IssuerDeps): Promise<Issuer> {
  const issuer = new Issuer(deps);
  await issuer.start();
  return issuer;
}
