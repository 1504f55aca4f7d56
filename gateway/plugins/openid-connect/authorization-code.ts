/**
 * The authorization code flow (RFC 6749 4.1, OIDC Core 3.1) with state, nonce
 * and PKCE S256 (RFC 7636). The pending request (state, nonce, code_verifier,
 * the URL the browser first asked for) travels in its own short-lived encrypted
 * cookie; the callback on `redirect_uri` checks state against it, exchanges the
 * code, and checks the id_token (signature by the issuer's keys, iss, aud, exp,
 * nonce) before anything becomes a session.
 */
import { createHash } from "node:crypto";
import { invalidToken, OidcError } from "./errors";
import type { IssuerMetadata, TrustedIssuer } from "./discovery";
import type { ClientAuth } from "./client-auth";
import type { TokenClient, TokenResponse } from "./token-client";
import { TokenEndpointError } from "./token-client";
import { checkTimeClaims, verifyJwt } from "./verify";
import { randomToken, safeEqual } from "./util";

export interface PendingAuthorization {
  state: string;
  nonce: string;
  verifier: string;
  return_to: string;
  redirect_uri: string;
  scope: string;
  /** Seconds; a pending authorization lives 10 minutes. */
  iat: number;
}

export const PENDING_TTL = 600;

export function startAuthorization(o: {
  metadata: IssuerMetadata;
  client_id: string;
  redirect_uri: string;
  scopes: string[];
  return_to: string;
  now: number;
  extraParams?: Record<string, string>;
}): { location: string; pending: PendingAuthorization } {
  if (!o.metadata.authorization_endpoint) throw new Error(`issuer ${o.metadata.issuer} has no authorization_endpoint`);
  const pending: PendingAuthorization = {
    state: randomToken(),
    nonce: randomToken(),
    verifier: randomToken(48),
    return_to: o.return_to,
    redirect_uri: o.redirect_uri,
    scope: (o.scopes.length ? o.scopes : ["openid"]).join(" "),
    iat: o.now,
  };
  const url = new URL(o.metadata.authorization_endpoint);
  const p = url.searchParams;
  p.set("response_type", "code");
  p.set("client_id", o.client_id);
  p.set("redirect_uri", o.redirect_uri);
  p.set("scope", pending.scope);
  p.set("state", pending.state);
  p.set("nonce", pending.nonce);
  p.set("code_challenge", createHash("sha256").update(pending.verifier).digest("base64url"));
  p.set("code_challenge_method", "S256");
  // OIDC Core 11: offline_access is only honoured together with prompt=consent
  if (pending.scope.split(" ").includes("offline_access")) p.set("prompt", "consent");
  for (const [k, v] of Object.entries(o.extraParams ?? {})) p.set(k, v);
  return { location: url.toString(), pending };
}

export interface CompletedAuthorization {
  tokens: TokenResponse;
  idClaims: Record<string, unknown> | undefined;
  return_to: string;
}

export async function completeAuthorization(o: {
  query: URLSearchParams;
  pending: PendingAuthorization | undefined;
  issuer: TrustedIssuer;
  builtinIssuer?: string;
  auth: ClientAuth;
  tokenClient: TokenClient;
  leeway: number;
  now: number;
}): Promise<CompletedAuthorization> {
  const state = o.query.get("state");
  const { pending } = o;
  if (!pending || typeof pending.state !== "string") {
    throw new OidcError(400, "invalid_request", "the authorization response has no pending request in this browser (cookies blocked, or it expired): start again");
  }
  if (!state || !safeEqual(state, pending.state)) throw new OidcError(400, "invalid_request", "the authorization response's state does not match this browser's request (RFC 6749 10.12)");
  if (o.now > pending.iat + PENDING_TTL) throw new OidcError(400, "invalid_request", "the authorization request expired: start again");
  const err = o.query.get("error");
  if (err) throw new OidcError(400, "invalid_request", `the IdP refused the authorization: ${err}${o.query.get("error_description") ? `: ${o.query.get("error_description")}` : ""}`.slice(0, 300));
  const code = o.query.get("code");
  if (!code) throw new OidcError(400, "invalid_request", "the authorization response has no code");
  const meta = await o.issuer.metadata();
  // RFC 9207: an authorization response naming another issuer is a mix-up attempt
  const respIss = o.query.get("iss");
  if (respIss !== null && respIss !== meta.issuer) throw new OidcError(400, "invalid_request", "the authorization response comes from another issuer (RFC 9207 iss parameter)");
  if (respIss === null && meta.authorization_response_iss_parameter_supported === true) {
    throw new OidcError(400, "invalid_request", "the authorization response lacks the iss parameter its issuer promises (RFC 9207)");
  }
  if (!meta.token_endpoint) throw new Error(`issuer ${meta.issuer} has no token_endpoint`);
  let tokens: TokenResponse;
  try {
    tokens = await o.tokenClient.request(meta.token_endpoint, { grant_type: "authorization_code", code, redirect_uri: pending.redirect_uri, code_verifier: pending.verifier }, o.auth);
  } catch (e) {
    if (e instanceof TokenEndpointError) throw new OidcError(400, "invalid_request", `the IdP refused the authorization code: ${e.error}`);
    throw e;
  }
  let idClaims: Record<string, unknown> | undefined;
  if (tokens.id_token) {
    const v = await verifyJwt(tokens.id_token, { issuers: [o.issuer], builtinIssuer: o.builtinIssuer, kind: "id_token" });
    idClaims = v.claims;
    checkTimeClaims(idClaims, { leeway: o.leeway, nowSeconds: o.now });
    const aud = idClaims.aud;
    const auds = Array.isArray(aud) ? aud : [aud];
    if (!auds.includes(o.auth.client_id)) throw invalidToken("the id_token's aud does not name this client (OIDC Core 3.1.3.7)");
    if (auds.length > 1 && idClaims.azp !== undefined && idClaims.azp !== o.auth.client_id) throw invalidToken("the id_token's azp is another client");
    if (typeof idClaims.nonce !== "string" || !safeEqual(idClaims.nonce, pending.nonce)) throw invalidToken("the id_token's nonce does not match the request (OIDC Core 3.1.3.7)");
  } else if (String(pending.scope).split(" ").includes("openid")) {
    throw invalidToken("the IdP returned no id_token for an openid request");
  }
  return { tokens, idClaims, return_to: pending.return_to };
}
