/**
 * openid-connect (Kong's plugin, Kong's config names). Per request, in order:
 *
 *   logout (`logout_uri_suffix`) -> authorization callback (`redirect_uri`) ->
 *   a bearer token (bearer: JWT; introspection: RFC 7662) ->
 *   client credentials / username+password (the gateway gets a token) ->
 *   the session cookie (refreshing an expired access token) ->
 *   authorization_code (302 to the IdP) -> anonymous -> 401.
 *
 * An explicit credential wins over a session cookie. Whatever found the token,
 * the same checks run on every request (exp/nbf with leeway, revoked jti,
 * scopes/audience/groups), then consumer mapping and upstream headers.
 * Verified claims are cached per instance, i.e. per (plugin id, config version),
 * by sha256(token), until the token expires.
 */
import type { Consumer, Plugin } from "../../contract/entities";
import { pluginPriority } from "../../contract/plugins";
import { OPENID_CONNECT_FIELDS } from "../../contract/plugins/openid-connect";
import { validateRecord } from "../../contract/schema";
import type { PluginEnv, PluginHandler, PluginInstance, PluginResponse, RequestContext } from "../types";
import { checkRequired, type RequiredChecks } from "./authorize";
import { completeAuthorization, PENDING_TTL, startAuthorization, type PendingAuthorization } from "./authorization-code";
import type { ClientAuth, ClientAuthMethod } from "./client-auth";
import { discoveryUrlFor, TrustedIssuer } from "./discovery";
import { OidcError, invalidToken, unauthorized } from "./errors";
import { Introspector } from "./introspection";
import {
  clearSealed,
  parseCookies,
  readSealed,
  SessionCodec,
  sessionExpired,
  sessionMaxAge,
  writeSealed,
  type CookieOptions,
  type SessionData,
  type SessionTimeouts,
} from "./session";
import { TokenClient, TokenEndpointError, type TokenResponse } from "./token-client";
import { BoundedMap, claimAt, claimWords, nowSeconds, randomToken, sha256b64u } from "./util";
import { checkTimeClaims, looksLikeJwt, verifyJwt } from "./verify";
import type { JWK } from "jose";

/** The config fields this handler reads (defaults from gateway/contract/plugins/openid-connect.ts). */
export interface OidcConfig extends RequiredChecks {
  issuer: string;
  issuers_allowed?: string[] | null;
  extra_jwks_uris?: string[] | null;
  rediscovery_lifetime?: number;
  auth_methods?: string[];
  client_id?: string[] | null;
  client_secret?: string[] | null;
  client_auth?: string[] | null;
  client_jwk?: Record<string, string>[] | null;
  client_alg?: string[] | null;
  bearer_token_param_type?: string[];
  bearer_token_cookie_name?: string | null;
  client_credentials_param_type?: string[];
  password_param_type?: string[];
  refresh_token_param_type?: string[];
  refresh_token_param_name?: string | null;
  redirect_uri?: string[] | null;
  scopes?: string[] | null;
  authenticated_groups_claim?: string[] | null;
  consumer_claim?: string[] | null;
  consumer_by?: string[] | null;
  consumer_optional?: boolean;
  credential_claim?: string[] | null;
  anonymous?: string | null;
  upstream_headers_claims?: string[] | null;
  upstream_headers_names?: string[] | null;
  upstream_access_token_header?: string | null;
  upstream_id_token_header?: string | null;
  token_endpoint?: string | null;
  introspection_endpoint?: string | null;
  introspection_hint?: string | null;
  end_session_endpoint?: string | null;
  authorization_endpoint?: string | null;
  logout_uri_suffix?: string | null;
  logout_methods?: string[] | null;
  logout_redirect_uri?: string[] | null;
  session_secret?: string | null;
  session_cookie_name?: string;
  session_cookie_path?: string;
  session_cookie_same_site?: string;
  session_cookie_secure?: boolean | null;
  session_idling_timeout?: number;
  session_rolling_timeout?: number;
  session_absolute_timeout?: number;
  authorization_cookie_name?: string;
  authorization_rolling_timeout?: number;
  refresh_tokens?: boolean;
  cache_ttl?: number;
  cache_tokens?: boolean;
  cache_introspection?: boolean;
  leeway?: number;
  hide_credentials?: boolean;
  display_errors?: boolean;
  timeout?: number;
}

/** Where a bearer token came from (hide_credentials removes it there). */
type TokenSource = { kind: "header" } | { kind: "query" } | { kind: "body" } | { kind: "cookie"; name: string };

interface Authenticated {
  token: string;
  claims: Record<string, unknown>;
  issuer: string;
  idToken?: string;
}

interface CachedClaims {
  claims: Record<string, unknown>;
  issuer: string;
  /** ms; entries go at token expiry. */
  until: number;
}

/** Process-wide caches that outlive one snapshot: issuer metadata + keys, tokens from token endpoints, introspection. */
export class OidcRuntime {
  private readonly issuers = new Map<string, TrustedIssuer>();
  readonly tokenClient: TokenClient;
  readonly introspector: Introspector;
  /** Per-process session secret for when neither the plugin nor the snapshot has one. */
  readonly fallbackSessionSecret = randomToken(32);

  constructor(readonly now: () => number = Date.now) {
    this.tokenClient = new TokenClient({ now });
    this.introspector = new Introspector({ now });
  }

  /** One TrustedIssuer per (discovery source, extra JWKS URIs, rediscovery interval), shared by plugin instances. */
  issuer(source: string, extraJwksUris: string[] = [], rediscoverAfterMs = 30_000, timeoutMs = 10_000): TrustedIssuer {
    const key = [discoveryUrlFor(source).url, ...extraJwksUris, rediscoverAfterMs].join("\n");
    let t = this.issuers.get(key);
    if (!t) {
      t = new TrustedIssuer({ source: { discovery: source }, extraJwksUris, rediscoverAfterMs, now: this.now, timeoutMs });
      this.issuers.set(key, t);
    }
    return t;
  }
}

const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
const isBuiltin = (configured: string, builtin: string | undefined) =>
  builtin !== undefined && (sameIssuer(configured, builtin) || sameIssuer(configured, `${builtin.replace(/\/+$/, "")}/.well-known/openid-configuration`));

function errorResponse(e: OidcError): PluginResponse {
  const message = e.status === 403 ? "Forbidden" : e.status === 400 ? "Bad Request" : "Unauthorized";
  return {
    status: e.status,
    headers: { "www-authenticate": e.challenge(), "cache-control": "no-store" },
    body: { message, ...(e.code ? { error: e.code } : {}), error_description: e.description },
  };
}

/** RFC 6749 2.3.1: Basic credentials are form-encoded before base64. */
function parseBasic(header: string | undefined): { user: string; pass: string } | undefined {
  if (!header || !/^basic\s/i.test(header)) return undefined;
  const raw = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const i = raw.indexOf(":");
  if (i < 0) return undefined;
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return { user: dec(raw.slice(0, i)), pass: dec(raw.slice(i + 1)) };
}

function headerValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) return v.join(", ");
  return JSON.stringify(v);
}

/** Parsed body of a form or JSON request (only read when a credential may be in it). */
async function bodyParams(ctx: RequestContext, cache: { v?: Record<string, unknown> | null }): Promise<Record<string, unknown> | null> {
  if (cache.v !== undefined) return cache.v;
  cache.v = null;
  const ct = String(ctx.headers["content-type"] ?? "").toLowerCase();
  if (ctx.method === "GET" || ctx.method === "HEAD") return null;
  if (!ct.startsWith("application/x-www-form-urlencoded") && !ct.startsWith("application/json")) return null;
  const buf = await ctx.readBody(1024 * 1024);
  if (!buf) return null;
  if (ct.startsWith("application/json")) {
    try {
      const j = JSON.parse(buf.toString("utf8"));
      if (j && typeof j === "object" && !Array.isArray(j)) cache.v = j as Record<string, unknown>;
    } catch {
      // not JSON: no credential in it
    }
  } else {
    cache.v = Object.fromEntries(new URLSearchParams(buf.toString("utf8")));
  }
  return cache.v;
}

class OpenIdConnect implements PluginInstance {
  private readonly c: OidcConfig;
  private readonly methods: Set<string>;
  private readonly issuers: TrustedIssuer[];
  private readonly main: TrustedIssuer;
  private readonly builtin: string | undefined;
  private readonly verified = new BoundedMap<string, CachedClaims>(50_000);
  private readonly codec: SessionCodec;
  private readonly authCodec: SessionCodec;
  private readonly timeouts: SessionTimeouts;
  private readonly redirectUri: URL | undefined;
  private readonly leeway: number;

  constructor(
    private readonly plugin: Plugin,
    private readonly env: PluginEnv,
    private readonly rt: OidcRuntime,
  ) {
    // The control plane fills Kong's defaults; a hand-written snapshot may not have: fill them here too.
    const filled = validateRecord(OPENID_CONNECT_FIELDS, plugin.config);
    let raw: Record<string, unknown>;
    if (filled.ok) raw = filled.value;
    else {
      // invalid somewhere (the control plane would have refused it): Kong's defaults under what is there
      const defaults = validateRecord(OPENID_CONNECT_FIELDS, { issuer: "http://unset.invalid" });
      raw = { ...(defaults.ok ? defaults.value : {}), ...plugin.config };
      env.log.warn("openid-connect: the plugin config does not validate; running with it as given", { plugin: plugin.id, errors: filled.errors.map((e) => `${e.path}: ${e.message}`) });
    }
    const c = (this.c = raw as unknown as OidcConfig);
    this.methods = new Set(c.auth_methods ?? ["bearer", "introspection", "client_credentials", "authorization_code", "session", "refresh_token"]);
    const builtin = env.view.builtinIssuer;
    this.builtin = builtin?.issuer;
    const rediscover = (c.rediscovery_lifetime ?? 30) * 1000;
    const timeout = c.timeout ?? 10_000;
    const make = (source: string, extra: string[] = []): TrustedIssuer =>
      builtin && isBuiltin(source, builtin.issuer)
        ? new TrustedIssuer({
            source: {
              issuer: builtin.issuer,
              jwks: builtin.jwks,
              metadata: {
                token_endpoint: `${builtin.issuer}/token`,
                authorization_endpoint: `${builtin.issuer}/authorize`,
                introspection_endpoint: `${builtin.issuer}/introspect`,
                end_session_endpoint: `${builtin.issuer}/logout`,
              },
            },
            now: rt.now,
          })
        : rt.issuer(source, extra, rediscover, timeout);
    this.main = make(c.issuer, c.extra_jwks_uris ?? []);
    this.issuers = [this.main];
    for (const iss of c.issuers_allowed ?? []) {
      if (sameIssuer(iss, c.issuer)) continue;
      this.issuers.push(make(iss));
    }
    this.leeway = c.leeway ?? 0;
    const name = c.session_cookie_name || "session";
    const secret = c.session_secret || env.view.sessionSecret || rt.fallbackSessionSecret;
    if (!c.session_secret && !env.view.sessionSecret && (this.methods.has("session") || this.methods.has("authorization_code"))) {
      env.log.warn("openid-connect: no session_secret and none in the snapshot; sessions use a per-process secret (lost on restart, not shared between data planes)", { plugin: plugin.id });
    }
    this.codec = new SessionCodec(secret, name);
    this.authCodec = new SessionCodec(secret, c.authorization_cookie_name || "authorization");
    this.timeouts = { idling: c.session_idling_timeout ?? 900, rolling: c.session_rolling_timeout ?? 3600, absolute: c.session_absolute_timeout ?? 86400 };
    try {
      this.redirectUri = c.redirect_uri?.[0] ? new URL(c.redirect_uri[0]) : undefined;
    } catch {
      this.redirectUri = undefined;
    }
    // Warm discovery off the hot path; failures are retried on first use.
    if (!this.main.isStatic) this.main.metadata().catch(() => undefined);
  }

  access(ctx: RequestContext): void | PluginResponse | Promise<void | PluginResponse> {
    // Fast path, synchronous: a bearer header whose verified claims are cached.
    if (this.headerBearerFirst && !this.isLogoutOrCallback(ctx)) {
      const h = ctx.headers.authorization;
      if (h && h.length > 7 && /^bearer /i.test(h)) {
        const token = h.slice(7).trim();
        const hit = token && this.c.cache_tokens !== false ? this.verified.get(sha256b64u(token)) : undefined;
        if (hit && hit.until > this.rt.now()) {
          try {
            this.hideBearer(ctx, { kind: "header" });
            return this.authorized(ctx, { token, claims: hit.claims, issuer: hit.issuer });
          } catch (e) {
            return this.fail(ctx, e);
          }
        }
      }
    }
    return this.run(ctx).catch((e: unknown) => this.fail(ctx, e));
  }

  /** bearer enabled and the Authorization header is the first place to look (Kong's default order). */
  private get headerBearerFirst(): boolean {
    return this.methods.has("bearer") && (this.c.bearer_token_param_type ?? ["header"])[0] === "header";
  }

  private isLogoutOrCallback(ctx: RequestContext): boolean {
    const c = this.c;
    if (c.logout_uri_suffix && ctx.path.endsWith(c.logout_uri_suffix)) return true;
    return !!this.redirectUri && ctx.path === this.redirectUri.pathname && this.methods.has("authorization_code");
  }

  private fail(ctx: RequestContext, e: unknown): void | PluginResponse {
    if (e instanceof OidcError) {
      const anon = e.status === 401 ? this.anonymous(ctx) : undefined;
      if (anon) return;
      const res = errorResponse(e);
      const cookies = this.takeSetCookies(ctx);
      if (cookies.length) res.headers!["set-cookie"] = cookies;
      return res;
    }
    this.env.log.warn("openid-connect: request failed", { plugin: this.plugin.id, error: (e as Error).message });
    return errorResponse(unauthorized(`authentication could not complete: ${(e as Error).message}`.slice(0, 300)));
  }

  private async run(ctx: RequestContext): Promise<void | PluginResponse> {
    const c = this.c;
    const m = this.methods;
    const cookies = parseCookies(ctx.headers.cookie);

    if (c.logout_uri_suffix && ctx.path.endsWith(c.logout_uri_suffix) && (c.logout_methods ?? ["POST", "DELETE"]).includes(ctx.method)) {
      return this.logout(ctx, cookies);
    }
    if (m.has("authorization_code") && this.redirectUri && ctx.path === this.redirectUri.pathname && ctx.query.has("state") && (ctx.query.has("code") || ctx.query.has("error"))) {
      return this.callback(ctx, cookies);
    }

    const body: { v?: Record<string, unknown> | null } = {};

    // 1. bearer / introspection
    if (m.has("bearer") || m.has("introspection")) {
      const found = await this.findBearer(ctx, cookies, body);
      if (found) {
        const auth = await this.verifyAccessToken(found.token);
        await this.hideBearer(ctx, found.source);
        return this.authorized(ctx, auth);
      }
    }

    // 2. password / client_credentials: the gateway gets the token
    if (m.has("password") || m.has("client_credentials")) {
      const auth = await this.grantFromCredentials(ctx, body);
      if (auth) return this.authorized(ctx, auth);
    }

    // 3. refresh_token: the caller sends a refresh token; the gateway's client redeems it
    if (m.has("refresh_token")) {
      const auth = await this.grantFromRefreshToken(ctx, body);
      if (auth) return this.authorized(ctx, auth);
    }

    // 4. session
    const sessionMethods = m.has("session") || m.has("authorization_code");
    if (sessionMethods) {
      const res = await this.fromSession(ctx, cookies);
      if (res) return res.result;
    }

    // 5. authorization_code: send the browser to the IdP
    if (m.has("authorization_code") && (ctx.method === "GET" || ctx.method === "HEAD")) {
      return this.redirectToIdp(ctx, cookies);
    }
    throw unauthorized(`no credentials: send ${this.expected()}`);
  }

  private expected(): string {
    const m = this.methods;
    const ways: string[] = [];
    if (m.has("bearer") || m.has("introspection")) ways.push("an access token (Authorization: Bearer <token>)");
    if (m.has("client_credentials")) ways.push("client credentials (Authorization: Basic <client_id:client_secret>)");
    if (m.has("password")) ways.push("a username and password (Authorization: Basic)");
    if (m.has("refresh_token")) ways.push("a refresh token (Refresh-Token header)");
    if (m.has("session")) ways.push("a session cookie");
    return ways.join(" or ") || "a credential (no auth_methods are enabled)";
  }

  // ---- credentials -------------------------------------------------------

  private async findBearer(ctx: RequestContext, cookies: Map<string, string>, body: { v?: Record<string, unknown> | null }): Promise<{ token: string; source: TokenSource } | undefined> {
    const types = this.c.bearer_token_param_type ?? ["header", "query", "body"];
    for (const t of types) {
      if (t === "header") {
        const h = ctx.headers.authorization;
        if (h && /^bearer\s/i.test(h)) {
          const token = h.slice(7).trim();
          if (!token) throw invalidToken("the Authorization header has an empty bearer token");
          return { token, source: { kind: "header" } };
        }
      } else if (t === "query") {
        const q = ctx.query.get("access_token");
        if (q) return { token: q, source: { kind: "query" } };
      } else if (t === "body") {
        const b = await bodyParams(ctx, body);
        const v = b?.access_token;
        if (typeof v === "string" && v) return { token: v, source: { kind: "body" } };
      } else if (t === "cookie" && this.c.bearer_token_cookie_name) {
        const v = cookies.get(this.c.bearer_token_cookie_name);
        if (v) return { token: v, source: { kind: "cookie", name: this.c.bearer_token_cookie_name } };
      }
    }
    return undefined;
  }

  private hideBearer(ctx: RequestContext, source: TokenSource): void | Promise<void> {
    if (!this.c.hide_credentials) return;
    if (source.kind === "header") ctx.upstreamHeaders.remove("authorization");
    else if (source.kind === "query") {
      ctx.query.delete("access_token");
      ctx.setUpstreamQuery(ctx.query);
    } else if (source.kind === "body") return this.dropFromBody(ctx, ["access_token"]);
    else if (source.kind === "cookie") this.dropCookie(ctx, source.name);
  }

  private dropCookie(ctx: RequestContext, ...names: string[]): void {
    const raw = ctx.upstreamHeaders.get("cookie");
    if (!raw) return;
    const kept = raw
      .split(";")
      .map((s) => s.trim())
      .filter((s) => s && !names.some((n) => s.startsWith(`${n}=`) || new RegExp(`^${n.replace(/[^\w-]/g, "\\$&")}_\\d+=`).test(s)));
    if (kept.length) ctx.upstreamHeaders.set("cookie", kept.join("; "));
    else ctx.upstreamHeaders.remove("cookie");
  }

  /** Verifies a bearer token: a JWT with the issuer's keys (cached), else introspection. */
  private async verifyAccessToken(token: string): Promise<Authenticated> {
    const m = this.methods;
    if (looksLikeJwt(token) && m.has("bearer")) return this.verifyJwtCached(token);
    if (m.has("introspection")) return this.introspect(token);
    if (!looksLikeJwt(token)) throw invalidToken("the token is not a JWT, and introspection is not enabled on this route (auth_methods)");
    throw invalidToken("JWT bearer tokens are not enabled on this route (auth_methods)");
  }

  private async verifyJwtCached(token: string, kind: "access_token" | "id_token" = "access_token"): Promise<Authenticated> {
    const useCache = this.c.cache_tokens !== false;
    const key = kind === "access_token" ? sha256b64u(token) : `id:${sha256b64u(token)}`;
    const hit = useCache ? this.verified.get(key) : undefined;
    if (hit && hit.until > this.rt.now()) return { token, claims: hit.claims, issuer: hit.issuer };
    const v = await verifyJwt(token, { issuers: this.issuers, builtinIssuer: this.builtin, kind });
    if (useCache && typeof v.claims.exp === "number") this.verified.set(key, { claims: v.claims, issuer: v.issuer, until: v.claims.exp * 1000 + this.leeway * 1000 });
    return { token, claims: v.claims, issuer: v.issuer };
  }

  private async introspect(token: string): Promise<Authenticated> {
    const meta = await this.main.metadata().catch(() => undefined);
    const endpoint = this.c.introspection_endpoint || meta?.introspection_endpoint;
    if (!endpoint) throw invalidToken("the token cannot be introspected: the issuer has no introspection_endpoint (set config.introspection_endpoint)");
    const auth = this.pluginClientAuth(endpoint, meta?.issuer);
    if (!auth) throw invalidToken("the token cannot be introspected: the plugin has no client_id configured");
    const claims = await this.rt.introspector.introspect(token, {
      endpoint,
      auth,
      cacheTtl: this.c.cache_introspection === false ? 0 : (this.c.cache_ttl ?? 3600),
      hint: this.c.introspection_hint ?? "access_token",
    });
    const iss = typeof claims.iss === "string" ? claims.iss : (meta?.issuer ?? this.main.issuer ?? this.c.issuer);
    if (typeof claims.iss === "string" && !(await this.trusts(claims.iss))) throw invalidToken(`the token's issuer ${claims.iss} is not trusted by this route`);
    return { token, claims, issuer: iss };
  }

  private async trusts(iss: string): Promise<boolean> {
    for (const t of this.issuers) if (await t.matches(iss)) return true;
    return false;
  }

  /** The plugin's own client (client_id[0], client_secret[0], client_auth[0]) for an endpoint. */
  private pluginClientAuth(endpoint: string, issuer: string | undefined, index = 0): ClientAuth | undefined {
    const c = this.c;
    const id = c.client_id?.[index] ?? c.client_id?.[0];
    if (!id) return undefined;
    const secret = c.client_secret?.[index] ?? c.client_secret?.[0];
    return this.clientAuth(id, secret, endpoint, issuer, index);
  }

  private clientAuth(clientId: string, secret: string | undefined, endpoint: string, issuer: string | undefined, index = 0): ClientAuth {
    const c = this.c;
    const method = (c.client_auth?.[index] ?? c.client_auth?.[0] ?? (secret ? "client_secret_basic" : c.client_jwk?.length ? "private_key_jwt" : "none")) as ClientAuthMethod;
    const jwk = (c.client_jwk?.[index] ?? c.client_jwk?.[0]) as JWK | undefined;
    return { method, client_id: clientId, client_secret: secret, jwk, alg: c.client_alg?.[index] ?? c.client_alg?.[0], audience: issuer ?? endpoint };
  }

  /** client_credentials / password: the caller's credentials become a token from the IdP's token endpoint. */
  private async grantFromCredentials(ctx: RequestContext, body: { v?: Record<string, unknown> | null }): Promise<Authenticated | undefined> {
    const m = this.methods;
    const c = this.c;
    const pick = async (types: string[], userKey: string, passKey: string): Promise<{ user: string; pass: string; where: string } | undefined> => {
      for (const t of types) {
        if (t === "header") {
          const b = parseBasic(ctx.headers.authorization);
          if (b) return { ...b, where: "header" };
        } else if (t === "query") {
          const u = ctx.query.get(userKey);
          const p = ctx.query.get(passKey);
          if (u && p) return { user: u, pass: p, where: "query" };
        } else if (t === "body") {
          const b = await bodyParams(ctx, body);
          const u = b?.[userKey];
          const p = b?.[passKey];
          if (typeof u === "string" && typeof p === "string" && u && p) return { user: u, pass: p, where: "body" };
        }
      }
      return undefined;
    };
    const cc = m.has("client_credentials") ? await pick(c.client_credentials_param_type ?? ["header", "query", "body"], "client_id", "client_secret") : undefined;
    const pw = m.has("password") ? await pick(c.password_param_type ?? ["header", "query", "body"], "username", "password") : undefined;
    if (!cc && !pw) return undefined;
    const meta = await this.main.metadata().catch((e: Error) => {
      throw invalidToken(`the IdP's discovery document could not be loaded (${e.message})`);
    });
    const endpoint = c.token_endpoint || meta.token_endpoint;
    if (!endpoint) throw invalidToken(`issuer ${meta.issuer} has no token_endpoint`);
    const grants = Array.isArray(meta.grant_types_supported) ? (meta.grant_types_supported as string[]) : undefined;
    const scopes = (c.scopes ?? []).filter((s) => s !== "openid" && s !== "offline_access").join(" ") || undefined;
    const useCache = c.cache_tokens !== false;

    let response: TokenResponse | undefined;
    let lastError: TokenEndpointError | undefined;
    if (pw && (!grants || grants.includes("password"))) {
      const auth = this.pluginClientAuth(endpoint, meta.issuer);
      if (auth) {
        try {
          const params = { grant_type: "password", username: pw.user, password: pw.pass, scope: (c.scopes ?? []).join(" ") || undefined };
          response = await this.rt.tokenClient.cachedGrant(endpoint, params, auth, `${auth.client_secret ?? ""}\n${pw.user}\n${pw.pass}`, useCache);
          await this.hideBasic(ctx, pw.where);
        } catch (e) {
          if (!(e instanceof TokenEndpointError)) throw e;
          lastError = e;
        }
      }
    }
    if (!response && cc) {
      const auth = this.clientAuth(cc.user, cc.pass, endpoint, meta.issuer, Math.max(0, (c.client_id ?? []).indexOf(cc.user)));
      try {
        response = await this.rt.tokenClient.cachedGrant(endpoint, { grant_type: "client_credentials", scope: scopes }, auth, cc.pass, useCache);
        await this.hideBasic(ctx, cc.where);
      } catch (e) {
        if (!(e instanceof TokenEndpointError)) throw e;
        lastError = e;
      }
    }
    if (!response) {
      const e = lastError!;
      if (e.rejected) throw invalidToken(`the IdP refused the credentials: ${e.error}${e.error === "invalid_client" ? " (check the client_id and client_secret)" : ""}`);
      throw invalidToken(`the IdP's token endpoint is unavailable: ${e.description}`.slice(0, 300));
    }
    const token = response.access_token;
    // The token came from the IdP's own token endpoint: a JWT is still verified (and its claims cached) whether or not bearer is listed.
    if (looksLikeJwt(token)) {
      try {
        return await this.verifyJwtCached(token);
      } catch (e) {
        if (!(e instanceof OidcError) || !m.has("introspection")) throw e;
      }
    }
    if (m.has("introspection") || !looksLikeJwt(token)) {
      const meta2 = this.c.introspection_endpoint || meta.introspection_endpoint;
      if (meta2 && this.c.client_id?.length) return this.introspect(token);
    }
    // An opaque token straight from the IdP's token endpoint, nothing to verify it against:
    // trusted as the token endpoint's answer, with no claims.
    return { token, claims: { iss: meta.issuer }, issuer: meta.issuer };
  }

  /**
   * Kong's refresh_token method: a refresh token in the `Refresh-Token` header, or
   * `refresh_token` in the query or body (`refresh_token_param_name` renames both).
   * The result is cached per refresh token until the access token expires, so a
   * rotating IdP does not see the same refresh token twice while it is valid.
   */
  private async grantFromRefreshToken(ctx: RequestContext, body: { v?: Record<string, unknown> | null }): Promise<Authenticated | undefined> {
    const c = this.c;
    let token: string | undefined;
    let where = "";
    for (const t of c.refresh_token_param_type ?? ["header", "query", "body"]) {
      if (t === "header") {
        const v = ctx.headers[(c.refresh_token_param_name ?? "refresh-token").toLowerCase()];
        if (typeof v === "string" && v) [token, where] = [v.trim(), "header"];
      } else if (t === "query") {
        const v = ctx.query.get(c.refresh_token_param_name ?? "refresh_token");
        if (v) [token, where] = [v, "query"];
      } else if (t === "body") {
        const v = (await bodyParams(ctx, body))?.[c.refresh_token_param_name ?? "refresh_token"];
        if (typeof v === "string" && v) [token, where] = [v, "body"];
      }
      if (token) break;
    }
    if (!token) return undefined;
    const meta = await this.main.metadata().catch((e: Error) => {
      throw invalidToken(`the IdP's discovery document could not be loaded (${e.message})`);
    });
    const endpoint = c.token_endpoint || meta.token_endpoint;
    if (!endpoint) throw invalidToken(`issuer ${meta.issuer} has no token_endpoint`);
    const auth = this.pluginClientAuth(endpoint, meta.issuer);
    if (!auth) throw invalidToken("refresh tokens cannot be redeemed: the plugin has no client_id configured");
    let response: TokenResponse;
    try {
      response = await this.rt.tokenClient.cachedGrant(endpoint, { grant_type: "refresh_token", refresh_token: token }, auth, `${auth.client_secret ?? ""}\n${token}`, c.cache_tokens !== false);
    } catch (e) {
      if (!(e instanceof TokenEndpointError)) throw e;
      if (e.rejected) throw invalidToken(`the IdP refused the refresh token: ${e.error}`);
      throw invalidToken(`the IdP's token endpoint is unavailable: ${e.description}`.slice(0, 300));
    }
    if (where === "header") ctx.upstreamHeaders.remove((c.refresh_token_param_name ?? "refresh-token").toLowerCase());
    else if (where === "query") {
      ctx.query.delete(c.refresh_token_param_name ?? "refresh_token");
      ctx.setUpstreamQuery(ctx.query);
    } else if (where === "body") await this.dropFromBody(ctx, [c.refresh_token_param_name ?? "refresh_token"]);
    const at = response.access_token;
    if (looksLikeJwt(at)) return this.verifyJwtCached(at);
    if (this.methods.has("introspection")) return this.introspect(at);
    return { token: at, claims: { iss: meta.issuer }, issuer: meta.issuer };
  }

  private async hideBasic(ctx: RequestContext, where: string): Promise<void> {
    // The credentials never go upstream: the access token replaces them (upstream_access_token_header).
    if (where === "header") ctx.upstreamHeaders.remove("authorization");
    else if (where === "query") {
      for (const k of ["client_id", "client_secret", "username", "password"]) ctx.query.delete(k);
      ctx.setUpstreamQuery(ctx.query);
    } else if (where === "body") await this.dropFromBody(ctx, ["client_id", "client_secret", "username", "password"]);
  }

  /** Removes credential fields from a form or JSON body already read (bodyParams) before it goes upstream. */
  private async dropFromBody(ctx: RequestContext, keys: string[]): Promise<void> {
    const ct = String(ctx.headers["content-type"] ?? "").toLowerCase();
    const buf = await ctx.readBody(1024 * 1024);
    if (!buf) return;
    if (ct.startsWith("application/json")) {
      try {
        const j = JSON.parse(buf.toString("utf8")) as Record<string, unknown>;
        for (const k of keys) delete j[k];
        ctx.setUpstreamBody(Buffer.from(JSON.stringify(j)));
      } catch {
        // not JSON: nothing was taken from it
      }
    } else {
      const form = new URLSearchParams(buf.toString("utf8"));
      for (const k of keys) form.delete(k);
      ctx.setUpstreamBody(Buffer.from(form.toString()));
    }
  }

  // ---- sessions and the authorization code flow ------------------------

  private cookieOptions(path?: string, maxAge?: number): CookieOptions {
    const c = this.c;
    const secure = c.session_cookie_secure ?? this.redirectUri?.protocol === "https:";
    const same = c.session_cookie_same_site && c.session_cookie_same_site !== "Default" ? (c.session_cookie_same_site as CookieOptions["sameSite"]) : "Lax";
    return { path: path ?? c.session_cookie_path ?? "/", secure, sameSite: same, maxAge };
  }

  /** undefined: no usable session (the request goes on as if it had none); else the outcome of the session's token. */
  private async fromSession(ctx: RequestContext, cookies: Map<string, string>): Promise<{ result: void | PluginResponse } | undefined> {
    const name = this.codec.cookieName;
    const sealed = readSealed(cookies, name);
    if (!sealed) return undefined;
    const now = nowSeconds(this.rt.now);
    const s = this.codec.open<SessionData>(sealed);
    const why = !s ? "unreadable" : sessionExpired(s, this.timeouts, now);
    if (!s || why) {
      // An expired or foreign session is dropped; the request goes on as if it had none.
      ctx.responseHeaders["set-cookie"] = clearSealed(cookies, name, this.cookieOptions());
      this.dropCookie(ctx, name);
      return undefined;
    }
    if (s.access_token && typeof s.expires_at === "number" && s.expires_at - this.leeway <= now) {
      if (s.refresh_token && (this.methods.has("refresh_token") || this.c.refresh_tokens !== false)) {
        const refreshed = await this.refresh(s.refresh_token).catch(() => undefined);
        if (!refreshed) {
          ctx.responseHeaders["set-cookie"] = clearSealed(cookies, name, this.cookieOptions());
          return undefined;
        }
        s.access_token = refreshed.access_token;
        if (refreshed.refresh_token) s.refresh_token = refreshed.refresh_token;
        if (refreshed.id_token) s.id_token = refreshed.id_token;
        s.expires_at = now + (refreshed.expires_in ?? 300);
      } else {
        ctx.responseHeaders["set-cookie"] = clearSealed(cookies, name, this.cookieOptions());
        return undefined;
      }
    }
    let auth: Authenticated;
    if (s.access_token && looksLikeJwt(s.access_token)) auth = await this.verifyJwtCached(s.access_token);
    else if (s.access_token && this.methods.has("introspection")) auth = await this.introspect(s.access_token);
    else if (s.id_token) auth = { ...(await this.verifyJwtCached(s.id_token, "id_token")), token: s.access_token ?? "" };
    else throw invalidToken("the session holds no usable token: log in again");
    if (s.id_token) auth.idToken = s.id_token;
    // Idling: every use counts; rolling: every use renews the cookie.
    s.used = now;
    s.renewed = now;
    ctx.responseHeaders["set-cookie"] = writeSealed(cookies, name, this.codec.seal(s), this.cookieOptions(undefined, sessionMaxAge(s, this.timeouts, now)));
    this.dropCookie(ctx, name);
    return { result: this.authorized(ctx, auth) };
  }

  /** Set-Cookie values queued on the context (a dropped session), moved into a response the plugin gives itself. */
  private takeSetCookies(ctx: RequestContext): string[] {
    const v = ctx.responseHeaders["set-cookie"];
    delete ctx.responseHeaders["set-cookie"];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  }

  private async refresh(refreshToken: string): Promise<TokenResponse> {
    const meta = await this.main.metadata();
    const endpoint = this.c.token_endpoint || meta.token_endpoint;
    if (!endpoint) throw new Error("no token_endpoint");
    const auth = this.pluginClientAuth(endpoint, meta.issuer);
    if (!auth) throw new Error("no client_id");
    return this.rt.tokenClient.request(endpoint, { grant_type: "refresh_token", refresh_token: refreshToken }, auth);
  }

  private async redirectToIdp(ctx: RequestContext, cookies: Map<string, string>): Promise<PluginResponse> {
    const c = this.c;
    if (!this.redirectUri) throw unauthorized("log in is not possible: the route's openid-connect plugin has no redirect_uri");
    if (!c.client_id?.[0]) throw unauthorized("log in is not possible: the route's openid-connect plugin has no client_id");
    const meta = await this.main.metadata().catch((e: Error) => {
      throw unauthorized(`log in is not possible: the IdP's discovery document could not be loaded (${e.message})`);
    });
    const now = nowSeconds(this.rt.now);
    const qs = ctx.query.toString();
    const { location, pending } = startAuthorization({
      metadata: c.authorization_endpoint ? { ...meta, authorization_endpoint: c.authorization_endpoint } : meta,
      client_id: c.client_id[0],
      redirect_uri: this.redirectUri.toString(),
      scopes: c.scopes ?? ["openid"],
      return_to: ctx.path + (qs ? `?${qs}` : ""),
      now,
    });
    const ttl = c.authorization_rolling_timeout || PENDING_TTL;
    const setCookie = [...this.takeSetCookies(ctx), ...writeSealed(cookies, this.authCodec.cookieName, this.authCodec.seal(pending), this.cookieOptions("/", ttl))];
    return { status: 302, headers: { location, "set-cookie": setCookie, "cache-control": "no-store" }, body: "" };
  }

  private async callback(ctx: RequestContext, cookies: Map<string, string>): Promise<PluginResponse> {
    const c = this.c;
    const authName = this.authCodec.cookieName;
    const pending = this.authCodec.open<PendingAuthorization>(readSealed(cookies, authName));
    const meta = await this.main.metadata();
    const endpoint = c.token_endpoint || meta.token_endpoint || "";
    const auth = this.pluginClientAuth(endpoint, meta.issuer);
    if (!auth) throw unauthorized("log in is not possible: the plugin has no client_id");
    const now = nowSeconds(this.rt.now);
    const done = await completeAuthorization({
      query: ctx.query,
      pending,
      issuer: this.main,
      builtinIssuer: this.builtin,
      auth,
      tokenClient: this.rt.tokenClient,
      leeway: this.leeway,
      now,
    });
    const session: SessionData = {
      created: now,
      renewed: now,
      used: now,
      access_token: done.tokens.access_token,
      id_token: done.tokens.id_token,
      refresh_token: done.tokens.refresh_token,
      expires_at: now + (done.tokens.expires_in ?? 300),
    };
    const setCookie = [
      ...clearSealed(cookies, authName, this.cookieOptions("/")),
      ...writeSealed(cookies, this.codec.cookieName, this.codec.seal(session), this.cookieOptions(undefined, sessionMaxAge(session, this.timeouts, now))),
    ];
    // Only a local path goes back in Location (the pending request stored it; never an absolute URL).
    const back = done.return_to.startsWith("/") && !done.return_to.startsWith("//") ? done.return_to : "/";
    return { status: 302, headers: { location: back, "set-cookie": setCookie, "cache-control": "no-store" }, body: "" };
  }

  private async logout(ctx: RequestContext, cookies: Map<string, string>): Promise<PluginResponse> {
    const c = this.c;
    const s = this.codec.open<SessionData>(readSealed(cookies, this.codec.cookieName));
    const setCookie = clearSealed(cookies, this.codec.cookieName, this.cookieOptions());
    const after = c.logout_redirect_uri?.[0];
    const meta = await this.main.metadata().catch(() => undefined);
    const endSession = c.end_session_endpoint || meta?.end_session_endpoint;
    if (endSession && s?.id_token) {
      const u = new URL(endSession);
      u.searchParams.set("id_token_hint", s.id_token);
      if (after) u.searchParams.set("post_logout_redirect_uri", after);
      if (c.client_id?.[0]) u.searchParams.set("client_id", c.client_id[0]);
      return { status: 302, headers: { location: u.toString(), "set-cookie": setCookie, "cache-control": "no-store" }, body: "" };
    }
    if (after) return { status: 302, headers: { location: after, "set-cookie": setCookie, "cache-control": "no-store" }, body: "" };
    return { status: 200, headers: { "set-cookie": setCookie, "cache-control": "no-store" }, body: { message: "logged out" } };
  }

  // ---- after authentication ----------------------------------------------

  private authorized(ctx: RequestContext, a: Authenticated): void | PluginResponse {
    const c = this.c;
    const claims = a.claims;
    const now = nowSeconds(this.rt.now);
    if (claims.exp !== undefined || looksLikeJwt(a.token)) checkTimeClaims(claims, { leeway: this.leeway, nowSeconds: now });
    if (this.builtin !== undefined && a.issuer === this.builtin && typeof claims.jti === "string" && this.env.view.isRevoked(claims.jti)) {
      throw invalidToken("the token was revoked (RFC 7009)");
    }
    checkRequired(claims, c);

    // consumer
    let consumer: Consumer | undefined;
    if (c.consumer_claim?.length) {
      const value = claimAt(claims, c.consumer_claim);
      const key = typeof value === "string" || typeof value === "number" ? String(value) : undefined;
      if (key !== undefined) {
        for (const by of c.consumer_by ?? ["username", "custom_id"]) {
          consumer =
            by === "id" ? this.env.view.consumerById(key) : by === "username" ? this.env.view.consumerByUsername(key) : by === "custom_id" ? this.env.view.consumerByCustomId(key, a.issuer) : undefined;
          if (consumer) break;
        }
      }
      if (!consumer && !c.consumer_optional) {
        if (this.anonymous(ctx)) return;
        throw new OidcError(403, "insufficient_scope", `no consumer matches the token's ${c.consumer_claim.join(".")} claim by ${(c.consumer_by ?? ["username", "custom_id"]).join(" or ")}`);
      }
    }
    const credential = headerValue(claimAt(claims, c.credential_claim?.length ? c.credential_claim : ["sub"]));
    if (consumer || credential) ctx.setConsumer(consumer ?? null, credential ?? null);
    if (c.authenticated_groups_claim?.length) {
      const groups = claimWords(claimAt(claims, c.authenticated_groups_claim));
      ctx.authenticated_groups = groups;
      if (groups.length) ctx.upstreamHeaders.set("x-authenticated-groups", groups.join(", "));
    }

    // upstream headers
    const names = c.upstream_headers_names ?? [];
    (c.upstream_headers_claims ?? []).forEach((claim, i) => {
      const name = names[i];
      if (!name) return;
      const v = headerValue(claimAt(claims, [claim]));
      if (v !== undefined) ctx.upstreamHeaders.set(name, v);
      else ctx.upstreamHeaders.remove(name);
    });
    const at = c.upstream_access_token_header;
    if (at && a.token) {
      const [h, scheme] = at.split(":");
      const value = scheme && scheme.toLowerCase() === "bearer" ? `Bearer ${a.token}` : a.token;
      if (ctx.upstreamHeaders.get(h) !== value) ctx.upstreamHeaders.set(h, value);
    }
    if (c.upstream_id_token_header && a.idToken) ctx.upstreamHeaders.set(c.upstream_id_token_header, a.idToken);
    ctx.shared.oidc = { issuer: a.issuer, claims, token: a.token };
  }

  /** Falls back to the `anonymous` consumer (by id, else username); true if it did. */
  private anonymous(ctx: RequestContext): boolean {
    const id = this.c.anonymous;
    if (!id) return false;
    const consumer = this.env.view.consumerById(id) ?? this.env.view.consumerByUsername(id);
    if (!consumer) {
      this.env.log.warn("openid-connect: the anonymous consumer does not exist", { plugin: this.plugin.id, anonymous: id });
      return false;
    }
    ctx.setConsumer(consumer, null, { anonymous: true });
    return true;
  }
}

/** A handler with its own runtime (tests make their own; the registry uses the default export). */
export function createOpenIdConnectHandler(runtime = new OidcRuntime()): PluginHandler & { runtime: OidcRuntime } {
  return {
    name: "openid-connect",
    priority: pluginPriority("openid-connect"),
    runtime,
    create(plugin: Plugin, env: PluginEnv): PluginInstance {
      return new OpenIdConnect(plugin, env, runtime);
    },
  };
}

const handler = createOpenIdConnectHandler();
export default handler;
