/**
 * The kysely-backed model @node-oauth/oauth2-server runs the grants with, and the
 * tokens it mints: RFC 9068 JWT access tokens, OIDC id_tokens, opaque refresh
 * tokens stored as hashes with rotation and reuse detection.
 *
 * One model object is made per token request: its getClient returns the client our
 * own authentication step (client-auth.ts) already verified, so the library never
 * decides who the client is. No row is written for a client_credentials token.
 */
import type { Kysely } from "kysely";
import crypto from "node:crypto";
import { bumpConfigVersion, type ConfigEvents } from "../config-version";
import { randomToken, sha256 } from "../crypto";
import { authenticateDeveloper } from "../developers";
import type { Database, Developer } from "../db/schema";
import type { ClientRecord } from "./clients";
import type { Keys } from "./keys";

export const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"];
export const REFRESH_TOKEN_TTL = 30 * 86_400;

/** What a token request carries beside the library's view. */
export interface TokenContext {
  grantType: string;
  /** RFC 8707 resource, already checked against what the client may use. */
  resource: string | null;
}

export interface LibClient {
  id: string;
  grants: string[];
  redirectUris: string[];
  accessTokenLifetime: number;
  refreshTokenLifetime: number;
  record: ClientRecord;
  ctx: TokenContext;
}

export interface LibUser {
  id: string;
  kind: "client" | "developer";
  authTime?: Date | null;
  nonce?: string | null;
  /** The refresh token family this grant continues (refresh_token) or starts (authorization_code). */
  familyId?: string;
  /** The refresh token being rotated. */
  refreshId?: string;
  /** Resource bound to the grant (from the authorization request or the refresh token). */
  resource?: string | null;
}

export interface IssuerSettings {
  issuer: string;
  defaultAudience: string;
  accessTokenTtl: number;
  /** Name of the claim carrying the client_id (the built-in IdP connection's application_claim). */
  applicationClaim(): string;
}

export interface SavedToken {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken?: string;
  refreshTokenExpiresAt?: Date;
  scope?: string[];
  client: LibClient;
  user: LibUser;
  id_token?: string;
}

/** A family id derived from an authorization code, so a reused code can revoke what it issued. */
export function familyFromCode(codeHash: string): string {
  const h = crypto.createHash("sha256").update("family:" + codeHash).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Revokes a refresh token family and the access tokens issued with it: each access
 * token issued beside a refresh token has that refresh token's id as its jti, and
 * the one issued for an authorization code without a refresh token has the
 * family id. Their jtis go into revoked_tokens (the gateway's snapshot) until they
 * expire, with a config version bump when anything new was revoked.
 */
export async function revokeFamily(deps: Pick<ModelDeps, "db" | "settings" | "configEvents">, familyId: string): Promise<number> {
  let version = 0;
  const n = await deps.db.transaction().execute(async (trx) => {
    const now = new Date();
    const r = await trx
      .updateTable("refresh_tokens")
      .set({ revoked_at: now })
      .where("family_id", "=", familyId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    const rows = await trx.selectFrom("refresh_tokens").select(["id", "created_at", "client_id"]).where("family_id", "=", familyId).execute();
    let ttl = deps.settings.accessTokenTtl;
    const clientId = rows[0]?.client_id;
    if (clientId) {
      const c = await trx.selectFrom("oauth_clients").select("metadata").where("client_id", "=", clientId).executeTakeFirst();
      const own = (c?.metadata as { access_token_ttl?: unknown } | undefined)?.access_token_ttl;
      if (typeof own === "number") ttl = Math.max(ttl, own);
    }
    const entries = [
      { jti: familyId, exp: new Date(now.getTime() + ttl * 1000) },
      ...rows.map((row) => ({ jti: row.id, exp: new Date(row.created_at.getTime() + ttl * 1000) })),
    ].filter((e) => e.exp > now);
    const inserted = entries.length
      ? await trx.insertInto("revoked_tokens").values(entries).onConflict((oc) => oc.column("jti").doNothing()).returning("jti").execute()
      : [];
    if (inserted.length) version = await bumpConfigVersion(trx);
    return Number(r.numUpdatedRows);
  });
  if (version) deps.configEvents.observe(version);
  return n;
}

export function userClaims(dev: Pick<Developer, "email" | "full_name" | "email_verified_at">, scope: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (scope.includes("email")) {
    out.email = dev.email;
    out.email_verified = dev.email_verified_at !== null;
  }
  if (scope.includes("profile")) out.name = dev.full_name;
  return out;
}

export interface ModelDeps {
  db: Kysely<Database>;
  configEvents: ConfigEvents;
  keys: Keys;
  settings: IssuerSettings;
  log: { warn(msg: string, fields?: Record<string, unknown>): void };
}

/** Scopes a client may be granted; for user grants the OIDC scopes too. */
export function allowedScopes(client: ClientRecord, user: boolean): string[] {
  const own = client.scope ? client.scope.split(" ") : [];
  return user ? [...new Set([...own, ...OIDC_SCOPES])] : own;
}

/** Mints the access token (RFC 9068). */
export async function mintAccessToken(
  deps: Pick<ModelDeps, "keys" | "settings">,
  p: { jti: string; client: ClientRecord; sub: string; scope: string[]; aud: string; exp: Date; authTime?: Date | null },
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return deps.keys.sign(
    {
      iss: deps.settings.issuer,
      sub: p.sub,
      aud: p.aud,
      exp: Math.floor(p.exp.getTime() / 1000),
      iat,
      jti: p.jti,
      client_id: p.client.client_id,
      ...(p.scope.length ? { scope: p.scope.join(" ") } : {}),
      ...(p.authTime ? { auth_time: Math.floor(p.authTime.getTime() / 1000) } : {}),
      [deps.settings.applicationClaim()]: p.client.client_id,
    },
    "at+jwt",
  );
}

/** The library model for one token request. */
export function createModel(deps: ModelDeps, client: LibClient) {
  const { db } = deps;
  return {
    async getClient() {
      return client;
    },
    async getUserFromClient(c: LibClient): Promise<LibUser> {
      return { id: c.id, kind: "client" };
    },
    async getUser(username: string, password: string): Promise<LibUser | false> {
      const r = await authenticateDeveloper(db, username, password);
      if (!r.ok) return false;
      return { id: r.developer.id, kind: "developer", authTime: new Date() };
    },
    async validateScope(user: LibUser, c: LibClient, scope?: string[]): Promise<string[] | false> {
      const allowed = allowedScopes(c.record, user.kind === "developer");
      if (!scope || !scope.length) return c.ctx.grantType === "client_credentials" ? allowed : [];
      return scope.every((s) => allowed.includes(s)) ? scope : false;
    },
    async generateAccessToken(): Promise<string> {
      return crypto.randomUUID();
    },
    async generateRefreshToken(): Promise<string> {
      return randomToken(32);
    },
    async getAccessToken(): Promise<null> {
      return null;
    },
    async verifyScope(): Promise<boolean> {
      return false;
    },

    async getAuthorizationCode(code: string) {
      const codeHash = sha256(code);
      const row = await db.selectFrom("authorization_codes").selectAll().where("code_hash", "=", codeHash).executeTakeFirst();
      if (!row) return null;
      if (row.used_at) {
        // RFC 6749 4.1.2: a code used twice revokes what it issued.
        const n = await revokeFamily(deps, familyFromCode(codeHash));
        deps.log.warn("authorization code reused: the tokens it issued are revoked", { client_id: row.client_id, revoked: n });
        return null;
      }
      return {
        authorizationCode: code,
        expiresAt: row.expires_at,
        redirectUri: row.redirect_uri,
        scope: row.scope ? row.scope.split(" ") : [],
        client: { id: row.client_id },
        user: {
          id: row.developer_id,
          kind: "developer",
          authTime: row.auth_time,
          nonce: row.nonce,
          familyId: familyFromCode(codeHash),
          resource: row.resource,
        } satisfies LibUser,
        codeChallenge: row.code_challenge ?? undefined,
        codeChallengeMethod: row.code_challenge_method ?? undefined,
      };
    },
    async revokeAuthorizationCode(code: { authorizationCode: string }): Promise<boolean> {
      const r = await db
        .updateTable("authorization_codes")
        .set({ used_at: new Date() })
        .where("code_hash", "=", sha256(code.authorizationCode))
        .where("used_at", "is", null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async getRefreshToken(token: string) {
      if (token.length > 200) return null;
      const row = await db.selectFrom("refresh_tokens").selectAll().where("token_hash", "=", sha256(token)).executeTakeFirst();
      if (!row) return null;
      if (row.used_at || row.revoked_at) {
        // Reuse of a rotated (or revoked) refresh token: revoke the whole family.
        const n = await revokeFamily(deps, row.family_id);
        if (row.used_at) deps.log.warn("refresh token reused: its family is revoked", { client_id: row.client_id, revoked: n });
        return null;
      }
      if (row.developer_id) {
        const dev = await db.selectFrom("developers").select("status").where("id", "=", row.developer_id).executeTakeFirst();
        if (dev?.status !== "approved") return null;
      }
      return {
        refreshToken: token,
        refreshTokenExpiresAt: row.expires_at,
        scope: row.scope ? row.scope.split(" ") : undefined,
        client: { id: row.client_id },
        user: {
          id: row.developer_id ?? row.client_id,
          kind: row.developer_id ? "developer" : "client",
          authTime: row.auth_time,
          familyId: row.family_id,
          refreshId: row.id,
          resource: row.resource,
        } satisfies LibUser,
      };
    },
    async revokeToken(token: { refreshToken: string; user: LibUser }): Promise<boolean> {
      const r = await db
        .updateTable("refresh_tokens")
        .set({ used_at: new Date() })
        .where("token_hash", "=", sha256(token.refreshToken))
        .where("used_at", "is", null)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) return true;
      // Lost a race with another use of the same token: that is reuse too.
      if (token.user.familyId) await revokeFamily(deps, token.user.familyId);
      return false;
    },

    async saveToken(
      token: { accessToken: string; accessTokenExpiresAt?: Date; refreshToken?: string; refreshTokenExpiresAt?: Date; scope?: string[] },
      c: LibClient,
      user: LibUser,
    ): Promise<SavedToken> {
      const scope = token.scope ?? [];
      const wantsRefresh =
        !!token.refreshToken &&
        user.kind === "developer" &&
        c.grants.includes("refresh_token") &&
        c.ctx.grantType !== "client_credentials";
      // The jti ties the access token to its grant, so revoking a family can revoke it too (revokeFamily).
      const refreshId = wantsRefresh ? crypto.randomUUID() : null;
      const jti = refreshId ?? (c.ctx.grantType === "authorization_code" && user.familyId ? user.familyId : token.accessToken);
      const exp = token.accessTokenExpiresAt ?? new Date(Date.now() + c.accessTokenLifetime * 1000);
      const resource = c.ctx.resource ?? user.resource ?? null;
      const accessToken = await mintAccessToken(deps, {
        jti,
        client: c.record,
        sub: user.kind === "developer" ? user.id : c.id,
        scope,
        aud: resource ?? deps.settings.defaultAudience,
        exp,
        authTime: user.kind === "developer" ? user.authTime : null,
      });
      const saved: SavedToken = { accessToken, accessTokenExpiresAt: exp, scope, client: c, user };
      if (wantsRefresh && refreshId) {
        const familyId = user.familyId ?? crypto.randomUUID();
        const refreshExpiresAt = new Date(Date.now() + REFRESH_TOKEN_TTL * 1000);
        await db
          .insertInto("refresh_tokens")
          .values({
            token_hash: sha256(token.refreshToken!),
            id: refreshId,
            family_id: familyId,
            rotated_from: user.refreshId ?? null,
            client_id: c.id,
            developer_id: user.id,
            scope: scope.join(" ") || null,
            resource,
            auth_time: user.authTime ?? null,
            expires_at: refreshExpiresAt,
          })
          .execute();
        saved.refreshToken = token.refreshToken;
        saved.refreshTokenExpiresAt = refreshExpiresAt;
      }
      if (user.kind === "developer" && scope.includes("openid") && c.ctx.grantType !== "password") {
        const dev = await db.selectFrom("developers").select(["email", "full_name", "email_verified_at"]).where("id", "=", user.id).executeTakeFirst();
        const now = Math.floor(Date.now() / 1000);
        saved.id_token = await deps.keys.sign(
          {
            iss: deps.settings.issuer,
            sub: user.id,
            aud: c.id,
            azp: c.id,
            iat: now,
            exp: now + deps.settings.accessTokenTtl,
            ...(user.authTime ? { auth_time: Math.floor(user.authTime.getTime() / 1000) } : {}),
            ...(user.nonce ? { nonce: user.nonce } : {}),
            at_hash: atHash(accessToken),
            ...(dev ? userClaims(dev, scope) : {}),
          },
          "JWT",
        );
      }
      return saved;
    },
  };
}

/** OIDC Core 3.1.3.6: left half of SHA-256 of the access token (ES256/RS256 both use SHA-256). */
export function atHash(accessToken: string): string {
  const d = crypto.createHash("sha256").update(accessToken, "ascii").digest();
  return d.subarray(0, d.length / 2).toString("base64url");
}
