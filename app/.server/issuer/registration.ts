/**
 * Dynamic client registration (RFC 7591) with an initial access token, and
 * client management (RFC 7592) with the registration_access_token:
 *   POST   /oauth2/register                       Bearer <initial access token>
 *   GET    /oauth2/register/<client_id>           Bearer <registration_access_token>
 *   PUT    /oauth2/register/<client_id>           full metadata replacement
 *   DELETE /oauth2/register/<client_id>
 *   POST   /oauth2/register/<client_id>/secret    a new client_secret (RFC 7592 has no
 *                                                 rotation; this is the same token's extension)
 * Registration access tokens are stored as SHA-256 hashes; a new one is issued on
 * every update (RFC 7592 3).
 */
import type { Kysely } from "kysely";
import type http from "node:http";
import { randomToken, sha256, safeEqual } from "../crypto";
import type { Database } from "../db/schema";
import { BodyTooLargeError, readBody, sendJson } from "../http/util";
import { ClientMetadataError, type ClientInput, type ClientRecord, type Clients, type ClientView } from "./clients";
import type { InitialAccessTokens } from "./initial-access-tokens";

const MAX_BODY = 64 * 1024;
const noStore = { "cache-control": "no-store", pragma: "no-cache" };

class RegistrationError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The RFC 7591 metadata fields a registration may set (others are ignored, RFC 7591 2). */
function toInput(body: Record<string, unknown>): ClientInput {
  const str = (k: string) => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") throw new ClientMetadataError("invalid_client_metadata", `${k}: expected a string`);
    return v;
  };
  const rt = body.response_types;
  if (rt !== undefined && (!Array.isArray(rt) || rt.some((r) => r !== "code"))) {
    throw new ClientMetadataError("invalid_client_metadata", "response_types: only [\"code\"] is supported");
  }
  const grant_types = (body.grant_types as string[] | undefined) ?? (Array.isArray(rt) && rt.length ? ["authorization_code"] : undefined);
  return {
    name: str("client_name") ?? null,
    grant_types: grant_types ?? (Array.isArray(body.redirect_uris) && body.redirect_uris.length ? ["authorization_code"] : ["client_credentials"]),
    redirect_uris: body.redirect_uris as string[] | undefined,
    post_logout_redirect_uris: body.post_logout_redirect_uris as string[] | undefined,
    token_endpoint_auth_method: (str("token_endpoint_auth_method") ?? "client_secret_basic") as ClientInput["token_endpoint_auth_method"],
    scope: str("scope") ?? null,
    jwks: (body.jwks as ClientInput["jwks"]) ?? null,
    jwks_uri: str("jwks_uri") ?? null,
  };
}

export class Registration {
  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      clients: Clients;
      initialAccessTokens: InitialAccessTokens;
      registrationEndpoint: string;
    },
  ) {}

  #response(c: ClientView, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      client_id: c.client_id,
      client_id_issued_at: c.client_id_issued_at,
      ...(c.has_secret ? { client_secret_expires_at: 0 } : {}),
      client_name: c.client_name ?? undefined,
      redirect_uris: c.redirect_uris,
      post_logout_redirect_uris: c.post_logout_redirect_uris,
      grant_types: c.grant_types,
      response_types: c.response_types,
      token_endpoint_auth_method: c.token_endpoint_auth_method,
      scope: c.scope ?? undefined,
      jwks: c.jwks ?? undefined,
      jwks_uri: c.jwks_uri ?? undefined,
      registration_client_uri: `${this.deps.registrationEndpoint}/${encodeURIComponent(c.client_id)}`,
      ...extra,
    };
  }

  async #json(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const ct = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (ct !== "application/json") {
      req.resume();
      throw new RegistrationError(400, "invalid_client_metadata", "the body must be application/json (RFC 7591 3.1)");
    }
    let buf: Buffer;
    try {
      buf = await readBody(req, MAX_BODY);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new RegistrationError(413, "invalid_client_metadata", `the body is over ${MAX_BODY} bytes`);
      throw err;
    }
    let body: unknown;
    try {
      body = JSON.parse(buf.toString("utf8"));
    } catch {
      throw new RegistrationError(400, "invalid_client_metadata", "the body is not valid JSON");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RegistrationError(400, "invalid_client_metadata", "the body must be a JSON object");
    return body as Record<string, unknown>;
  }

  #bearer(req: http.IncomingMessage): string | undefined {
    const m = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec((req.headers.authorization ?? "").trim());
    return m?.[1];
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, rest: string): Promise<void> {
    try {
      if (rest === "" || rest === "/") {
        if (req.method !== "POST") throw new RegistrationError(405, "invalid_request", "use POST to register a client", { allow: "POST" });
        return await this.#register(req, res);
      }
      const m = /^\/([^/]+)(\/secret)?$/.exec(rest);
      if (!m) throw new RegistrationError(404, "invalid_request", "no such registration endpoint");
      let clientId: string;
      try {
        clientId = decodeURIComponent(m[1]);
      } catch {
        throw new RegistrationError(404, "invalid_request", "no such registration endpoint");
      }
      const client = await this.#authorize(req, clientId);
      if (m[2]) {
        if (req.method !== "POST") throw new RegistrationError(405, "invalid_request", "use POST to rotate the secret", { allow: "POST" });
        req.resume();
        const graceSeconds = Number(new URL(req.url ?? "/", "http://x").searchParams.get("grace_seconds") ?? 0) || 0;
        const r = await this.deps.clients.rotateSecret(client.client_id, { graceSeconds });
        sendJson(res, 200, { client_id: client.client_id, client_secret: r.client_secret, client_secret_expires_at: 0 }, noStore);
        return;
      }
      switch (req.method) {
        case "GET":
          req.resume();
          sendJson(res, 200, this.#response(client), noStore);
          return;
        case "PUT":
          return await this.#update(req, res, client);
        case "DELETE": {
          req.resume();
          await this.deps.clients.delete(client.client_id);
          res.writeHead(204, noStore);
          res.end();
          return;
        }
        default:
          throw new RegistrationError(405, "invalid_request", "use GET, PUT or DELETE", { allow: "GET, PUT, DELETE" });
      }
    } catch (err) {
      if (err instanceof RegistrationError) {
        sendJson(res, err.status, { error: err.error, error_description: err.message }, { ...noStore, ...err.headers });
        return;
      }
      if (err instanceof ClientMetadataError) {
        sendJson(res, 400, { error: err.error, error_description: err.message }, noStore);
        return;
      }
      throw err;
    }
  }

  /** RFC 7592 2: the registration access token for this very client, or 401. */
  async #authorize(req: http.IncomingMessage, clientId: string): Promise<ClientRecord> {
    const token = this.#bearer(req);
    const unauthorized = () =>
      new RegistrationError(401, "invalid_token", "send this client's registration_access_token as Authorization: Bearer", {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    if (!token) throw unauthorized();
    const row = await this.deps.db.selectFrom("oauth_clients").select("registration_access_token_hash").where("client_id", "=", clientId).executeTakeFirst();
    if (!row?.registration_access_token_hash || !safeEqual(sha256(token), row.registration_access_token_hash)) throw unauthorized();
    const client = await this.deps.clients.record(clientId);
    if (!client) throw unauthorized();
    return client;
  }

  async #register(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const iat = this.#bearer(req);
    if (!iat) {
      req.resume();
      throw new RegistrationError(401, "invalid_token", "registration needs an initial access token as Authorization: Bearer (ask the portal's administrators)", {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
    const body = await this.#json(req);
    const input = toInput(body);
    const registrationToken = randomToken(32);
    const created = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.deps.initialAccessTokens.consume(iat, trx))) {
        throw new RegistrationError(401, "invalid_token", "the initial access token is unknown, expired or used up", { "www-authenticate": 'Bearer error="invalid_token"' });
      }
      const c = await this.deps.clients.create(input, trx);
      await this.deps.clients.setRegistrationToken(c.client_id, sha256(registrationToken), trx);
      return c;
    });
    sendJson(
      res,
      201,
      this.#response(created.client, {
        ...(created.client_secret ? { client_secret: created.client_secret } : {}),
        registration_access_token: registrationToken,
      }),
      noStore,
    );
  }

  async #update(req: http.IncomingMessage, res: http.ServerResponse, client: ClientRecord): Promise<void> {
    const body = await this.#json(req);
    if (body.client_id !== client.client_id) throw new RegistrationError(400, "invalid_client_metadata", "client_id in the body must be this client's (RFC 7592 2.2)");
    for (const k of ["registration_access_token", "registration_client_uri", "client_id_issued_at", "client_secret_expires_at"]) {
      if (k in body) throw new RegistrationError(400, "invalid_client_metadata", `${k} must not be sent in an update (RFC 7592 2.2)`);
    }
    // RFC 7592 2.2: a client_secret in the body must equal the current one; it cannot be set.
    if (body.client_secret !== undefined && (typeof body.client_secret !== "string" || !client.secretHash || !safeEqual(sha256(body.client_secret), client.secretHash))) {
      throw new RegistrationError(400, "invalid_client_metadata", "client_secret does not match the current secret; use POST .../secret to rotate it");
    }
    const input = toInput(body);
    const registrationToken = randomToken(32);
    const updated = await this.deps.db.transaction().execute(async (trx) => {
      const u = await this.deps.clients.update(client.client_id, { ...input, resources: client.resources }, trx);
      await this.deps.clients.setRegistrationToken(client.client_id, sha256(registrationToken), trx);
      return u;
    });
    const { client_secret, ...view } = updated;
    sendJson(res, 200, this.#response(view, { ...(client_secret ? { client_secret } : {}), registration_access_token: registrationToken }), noStore);
  }
}
