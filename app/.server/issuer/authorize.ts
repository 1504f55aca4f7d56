/**
 * The authorization endpoint's decisions (RFC 6749 4.1, RFC 7636, OIDC Core 3.1.2),
 * used by the Remix routes /oauth2/authorize and /oauth2/logout.
 *
 * An unknown client or a redirect_uri that is not exactly one the client
 * registered gets an error page, never a redirect (RFC 6749 4.1.2.1). Consent is
 * decided by the portal's CSRF-protected form, never by a request parameter.
 */
import * as jose from "jose";
import type { Kysely } from "kysely";
import { randomToken, sha256 } from "../crypto";
import type { Database, Developer } from "../db/schema";
import type { ClientRecord, Clients } from "./clients";
import { OAuthHttpError } from "./errors";
import type { Keys } from "./keys";
import { allowedScopes, type IssuerSettings } from "./model";

export const CODE_TTL_SECONDS = 60;

export interface AuthorizationRequest {
  client_id: string;
  client_name: string | null;
  redirect_uri: string;
  scope: string[];
  state: string | null;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: "S256" | null;
  resource: string | null;
  prompt: string[];
  max_age: number | null;
}

export type AuthorizationCheck =
  | { kind: "error-page"; status: number; title: string; message: string }
  | { kind: "redirect"; location: string }
  | { kind: "ok"; request: AuthorizationRequest };

const SINGLE = ["client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "resource", "prompt", "max_age", "response_mode"];

export class Authorization {
  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      clients: Clients;
      settings: IssuerSettings;
      endpoint: (n: "authorize") => string;
    },
  ) {}

  /** Builds the client's redirect with an error (RFC 6749 4.1.2.1, RFC 9207 iss). */
  errorRedirect(redirectUri: string, error: string, description: string, state: string | null): { kind: "redirect"; location: string } {
    const u = new URL(redirectUri);
    u.searchParams.set("error", error);
    u.searchParams.set("error_description", description);
    if (state !== null) u.searchParams.set("state", state);
    u.searchParams.set("iss", this.deps.settings.issuer);
    return { kind: "redirect", location: u.toString() };
  }

  /** Validates an authorization request's parameters. */
  async validate(params: URLSearchParams): Promise<AuthorizationCheck> {
    const page = (message: string, status = 400): AuthorizationCheck => ({ kind: "error-page", status, title: "This sign-in link is not valid", message });
    const clientIds = params.getAll("client_id");
    if (clientIds.length !== 1 || !clientIds[0]) return page("The request has no client_id (or more than one). The application that sent you here is misconfigured.");
    const client = await this.deps.clients.record(clientIds[0]);
    if (!client) return page(`There is no application with client_id ${JSON.stringify(clientIds[0].slice(0, 100))} at this issuer.`);
    const uris = params.getAll("redirect_uri");
    if (uris.length > 1) return page("The request repeats redirect_uri.");
    // Required always (OIDC Core 3.1.2.1), so the token request's redirect_uri check (RFC 6749 4.1.3) always applies.
    if (uris.length === 0) return page("The request has no redirect_uri. The application that sent you here must send one of its registered redirect URIs.");
    if (!client.redirect_uris.includes(uris[0])) {
      return page(`The redirect_uri ${JSON.stringify(uris[0].slice(0, 300))} is not registered for this application; registered URIs must match exactly.`);
    }
    const redirectUri = uris[0];
    const state = params.get("state");
    const fail = (error: string, description: string) => this.errorRedirect(redirectUri, error, description, state);

    for (const k of SINGLE) if (params.getAll(k).length > 1) return fail("invalid_request", `${k} is repeated`);
    if (params.has("request")) return fail("request_not_supported", "request objects are not supported");
    if (params.has("request_uri")) return fail("request_uri_not_supported", "request_uri is not supported");
    const responseType = params.get("response_type");
    if (!responseType) return fail("invalid_request", "response_type is missing");
    if (responseType !== "code") return fail("unsupported_response_type", "only response_type=code is supported");
    const mode = params.get("response_mode");
    if (mode !== null && mode !== "query") return fail("invalid_request", "only response_mode=query is supported");
    if (!client.grant_types.includes("authorization_code")) return fail("unauthorized_client", "this client may not use the authorization_code grant");

    const scope = (params.get("scope") ?? "").split(" ").filter(Boolean);
    const allowed = allowedScopes(client, true);
    const bad = scope.filter((s) => !allowed.includes(s));
    if (bad.length) return fail("invalid_scope", `scope not allowed for this client: ${bad.join(" ").slice(0, 200)}`);

    const challenge = params.get("code_challenge");
    const method = params.get("code_challenge_method");
    if (challenge === null) {
      if (client.token_endpoint_auth_method === "none") return fail("invalid_request", "code_challenge is required: public clients must use PKCE (RFC 7636)");
      if (method !== null) return fail("invalid_request", "code_challenge_method without code_challenge");
    } else {
      if ((method ?? "plain") !== "S256") return fail("invalid_request", "code_challenge_method must be S256 (plain is not allowed)");
      if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(challenge)) return fail("invalid_request", "code_challenge must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 4.2)");
    }
    const nonce = params.get("nonce");
    if (nonce !== null && nonce.length > 500) return fail("invalid_request", "nonce is too long");
    if (state !== null && state.length > 2000) return fail("invalid_request", "state is too long");
    const prompt = (params.get("prompt") ?? "").split(" ").filter(Boolean);
    if (prompt.some((p) => !["none", "login", "consent"].includes(p))) return fail("invalid_request", "prompt must be none, login or consent");
    if (prompt.includes("none") && prompt.length > 1) return fail("invalid_request", "prompt=none cannot be combined");
    const maxAgeRaw = params.get("max_age");
    const maxAge = maxAgeRaw === null ? null : Number(maxAgeRaw);
    if (maxAge !== null && (!Number.isInteger(maxAge) || maxAge < 0)) return fail("invalid_request", "max_age must be a whole number of seconds");

    const resource = params.get("resource");
    if (resource !== null) {
      const ok =
        (() => {
          try {
            return !new URL(resource).hash;
          } catch {
            return false;
          }
        })() &&
        (resource === this.deps.settings.defaultAudience ||
          resource.startsWith(this.deps.settings.defaultAudience.replace(/\/+$/, "") + "/") ||
          client.resources.includes(resource));
      if (!ok) return fail("invalid_target", "resource is not one this client may ask for (RFC 8707)");
    }
    return {
      kind: "ok",
      request: {
        client_id: client.client_id,
        client_name: client.client_name,
        redirect_uri: redirectUri,
        scope,
        state,
        nonce,
        code_challenge: challenge,
        code_challenge_method: challenge ? "S256" : null,
        resource,
        prompt,
        max_age: maxAge,
      },
    };
  }

  /** True when the developer already consented to these scopes for this client. */
  async hasConsent(developerId: string, clientId: string, scope: string[]): Promise<boolean> {
    const row = await this.deps.db
      .selectFrom("oauth_consents")
      .select("scope")
      .where("developer_id", "=", developerId)
      .where("client_id", "=", clientId)
      .executeTakeFirst();
    if (!row) return false;
    const granted = row.scope.split(" ");
    return scope.every((s) => granted.includes(s));
  }

  /** Records consent and issues a code; returns the redirect to the client. */
  async approve(request: AuthorizationRequest, developer: Pick<Developer, "id">, authTime: Date): Promise<string> {
    const code = randomToken(32);
    await this.deps.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom("oauth_consents")
        .select("scope")
        .where("developer_id", "=", developer.id)
        .where("client_id", "=", request.client_id)
        .executeTakeFirst();
      const scope = [...new Set([...(existing?.scope.split(" ").filter(Boolean) ?? []), ...request.scope])].join(" ");
      await trx
        .insertInto("oauth_consents")
        .values({ developer_id: developer.id, client_id: request.client_id, scope })
        .onConflict((oc) => oc.columns(["developer_id", "client_id"]).doUpdateSet({ scope }))
        .execute();
      await trx
        .insertInto("authorization_codes")
        .values({
          code_hash: sha256(code),
          client_id: request.client_id,
          developer_id: developer.id,
          redirect_uri: request.redirect_uri,
          scope: request.scope.join(" ") || null,
          resource: request.resource,
          code_challenge: request.code_challenge,
          code_challenge_method: request.code_challenge_method,
          nonce: request.nonce,
          auth_time: authTime,
          expires_at: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
        })
        .execute();
      await trx.deleteFrom("authorization_codes").where("expires_at", "<", new Date(Date.now() - 3600_000)).execute();
    });
    const u = new URL(request.redirect_uri);
    u.searchParams.set("code", code);
    if (request.state !== null) u.searchParams.set("state", request.state);
    u.searchParams.set("iss", this.deps.settings.issuer);
    return u.toString();
  }

  deny(request: AuthorizationRequest): string {
    return this.errorRedirect(request.redirect_uri, "access_denied", "the user declined the request", request.state).location;
  }

  /**
   * RP-initiated logout (OIDC RP-Initiated Logout 1.0): validates id_token_hint,
   * client_id and post_logout_redirect_uri (exact match); error page otherwise.
   */
  async validateLogout(
    params: URLSearchParams,
    keys: Keys,
  ): Promise<{ kind: "error-page"; status: number; title: string; message: string } | { kind: "ok"; redirect: string | null; client: ClientRecord | null }> {
    const page = (message: string) => ({ kind: "error-page" as const, status: 400, title: "This sign-out link is not valid", message });
    const hint = params.get("id_token_hint");
    let clientId = params.get("client_id");
    if (hint) {
      try {
        const header = jose.decodeProtectedHeader(hint);
        const k = await keys.verifyKey(header.kid);
        if (!k) return page("id_token_hint was not issued by this issuer.");
        // Expired id_tokens are fine as hints; the signature and issuer are what matter.
        const { payload } = await jose.jwtVerify(hint, k.key, { issuer: this.deps.settings.issuer, algorithms: [k.alg], currentDate: new Date(0) }).catch(async () =>
          jose.jwtVerify(hint, k.key, { issuer: this.deps.settings.issuer, algorithms: [k.alg] }),
        );
        const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
        if (clientId && aud !== clientId) return page("client_id does not match the id_token_hint's audience.");
        clientId = aud ?? null;
      } catch {
        return page("id_token_hint is not a valid id_token of this issuer.");
      }
    }
    const target = params.get("post_logout_redirect_uri");
    const client = clientId ? ((await this.deps.clients.record(clientId)) ?? null) : null;
    if (clientId && !client) return page(`There is no application with client_id ${JSON.stringify(clientId.slice(0, 100))}.`);
    if (target === null) return { kind: "ok", redirect: null, client };
    if (!client) return page("post_logout_redirect_uri needs id_token_hint or client_id to know the application.");
    if (!client.post_logout_redirect_uris.includes(target)) {
      return page(`The post_logout_redirect_uri ${JSON.stringify(target.slice(0, 300))} is not registered for this application; it must match exactly.`);
    }
    const u = new URL(target);
    const state = params.get("state");
    if (state !== null) u.searchParams.set("state", state);
    return { kind: "ok", redirect: u.toString(), client };
  }
}

export { OAuthHttpError };
