/**
 * Client authentication at the token, introspection and revocation endpoints:
 * our own step before @node-oauth/oauth2-server, which would skip the secret
 * check on a PKCE request (RFC 6749 2.3, OIDC Core 9, RFC 7523 for private_key_jwt).
 *
 * One method per request. A client with a secret (client_secret_basic or
 * client_secret_post) may send it either way, as most servers accept; private_key_jwt
 * and public ("none") clients must use their own method.
 */
import * as jose from "jose";
import type http from "node:http";
import { checkSecret, type ClientRecord, type Clients } from "./clients";
import { invalidClient, invalidRequest } from "./errors";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const ASSERTION_ALGS = ["ES256", "ES384", "RS256", "PS256", "EdDSA"];

export interface ClientAuthDeps {
  clients: Clients;
  issuer: string;
  /** Endpoint URLs an assertion's aud may name (token endpoint, the issuer, ...). */
  audiences: string[];
  /** Remembers assertion jtis until they expire (replay protection). */
  seenAssertions: Map<string, number>;
  remoteJwks: Map<string, ReturnType<typeof jose.createRemoteJWKSet>>;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined | null {
  if (!header) return undefined;
  const m = /^Basic ([A-Za-z0-9+/=._~-]+)$/i.exec(header.trim());
  if (!m) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  try {
    // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
  } catch {
    return null;
  }
}

function isSecretMethod(c: ClientRecord): boolean {
  return c.token_endpoint_auth_method === "client_secret_basic" || c.token_endpoint_auth_method === "client_secret_post";
}

function wrongSecret(c: ClientRecord | null): string {
  if (c && !isSecretMethod(c)) return `client authentication failed: this client authenticates with ${c.token_endpoint_auth_method}, not a secret`;
  return "client authentication failed: unknown client or wrong secret";
}

/** Authenticates the client of a request whose form parameters are `params`; throws OAuthHttpError. */
export async function authenticateClient(
  deps: ClientAuthDeps,
  req: http.IncomingMessage,
  params: URLSearchParams,
): Promise<ClientRecord> {
  const authz = req.headers.authorization;
  const basic = parseBasic(authz && /^basic /i.test(authz) ? authz : undefined);
  const usedBasic = basic !== undefined;
  if (basic === null) throw invalidClient("the Authorization header is not valid HTTP Basic (RFC 6749 2.3.1)", true);
  const bodySecret = params.get("client_secret");
  const assertion = params.get("client_assertion");
  const assertionType = params.get("client_assertion_type");
  const methods = [usedBasic, bodySecret !== null, assertion !== null].filter(Boolean).length;
  if (methods > 1) throw invalidRequest("use one client authentication method only (RFC 6749 2.3)");

  if (basic) {
    const bodyId = params.get("client_id");
    if (bodyId !== null && bodyId !== basic.id) throw invalidRequest("client_id in the body differs from the one in the Authorization header");
    const client = await deps.clients.cached(basic.id);
    if (!client || !isSecretMethod(client) || !checkSecret(client, basic.secret)) {
      throw invalidClient(wrongSecret(client), true);
    }
    return client;
  }

  if (assertion !== null) {
    if (assertionType !== CLIENT_ASSERTION_TYPE) throw invalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    return authenticateAssertion(deps, assertion, params.get("client_id"));
  }

  const clientId = params.get("client_id");
  if (!clientId) throw invalidClient("client authentication is required: send client_id (and its secret or assertion)", false);
  const client = await deps.clients.cached(clientId);
  if (!client) throw invalidClient("client authentication failed: unknown client or wrong secret", false);
  if (bodySecret !== null) {
    if (!isSecretMethod(client) || !checkSecret(client, bodySecret)) throw invalidClient(wrongSecret(client), false);
    return client;
  }
  if (client.token_endpoint_auth_method !== "none") {
    throw invalidClient(`this client must authenticate (${client.token_endpoint_auth_method})`, false);
  }
  return client;
}

async function authenticateAssertion(deps: ClientAuthDeps, assertion: string, bodyClientId: string | null): Promise<ClientRecord> {
  let unverified: jose.JWTPayload;
  try {
    unverified = jose.decodeJwt(assertion);
  } catch {
    throw invalidClient("client_assertion is not a JWT", false);
  }
  const clientId = typeof unverified.iss === "string" ? unverified.iss : undefined;
  if (!clientId || unverified.sub !== clientId) throw invalidClient("client_assertion: iss and sub must both be the client_id (RFC 7523 3)", false);
  if (bodyClientId !== null && bodyClientId !== clientId) throw invalidClient("client_id differs from the client_assertion's iss", false);
  const client = await deps.clients.cached(clientId);
  if (!client || client.token_endpoint_auth_method !== "private_key_jwt") {
    throw invalidClient("client authentication failed: unknown client, or it is not registered for private_key_jwt", false);
  }
  let keySet: jose.JWTVerifyGetKey;
  if (client.jwks) keySet = jose.createLocalJWKSet(client.jwks as jose.JSONWebKeySet);
  else if (client.jwks_uri) {
    let remote = deps.remoteJwks.get(client.jwks_uri);
    if (!remote) {
      remote = jose.createRemoteJWKSet(new URL(client.jwks_uri), { timeoutDuration: 3000, cooldownDuration: 30_000 });
      if (deps.remoteJwks.size > 1000) deps.remoteJwks.clear();
      deps.remoteJwks.set(client.jwks_uri, remote);
    }
    keySet = remote;
  } else throw invalidClient("the client has no keys registered", false);
  let payload: jose.JWTPayload;
  try {
    ({ payload } = await jose.jwtVerify(assertion, keySet, {
      algorithms: ASSERTION_ALGS,
      issuer: clientId,
      subject: clientId,
      audience: deps.audiences,
      requiredClaims: ["exp", "jti"],
      maxTokenAge: "10 minutes",
      clockTolerance: 30,
    }));
  } catch (err) {
    throw invalidClient(`client_assertion does not verify: ${(err as Error).message}`, false);
  }
  const now = Math.floor(Date.now() / 1000);
  const key = `${clientId}:${payload.jti}`;
  for (const [k, exp] of deps.seenAssertions) {
    if (exp < now) deps.seenAssertions.delete(k);
    else break;
  }
  if (deps.seenAssertions.has(key)) throw invalidClient("client_assertion was already used (jti replay)", false);
  deps.seenAssertions.set(key, (payload.exp ?? now) + 60);
  return client;
}
