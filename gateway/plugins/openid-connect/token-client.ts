/**
 * Token endpoint client (RFC 6749 section 3.2): client_credentials, password,
 * authorization_code (with the PKCE verifier) and refresh_token grants.
 *
 * client_credentials and password responses are cached until they expire,
 * keyed by (token endpoint, client_id, a hash of the secret, scope) so that a
 * wrong secret never finds a token a right one got; one request in flight per key.
 * A refusal is remembered for a few seconds under the same key (so it only ever
 * answers the same wrong credentials).
 */
import { applyClientAuth, type ClientAuth } from "./client-auth";
import { BoundedMap, fetchJson, sha256b64u } from "./util";

export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  [k: string]: unknown;
}

/** The IdP refused (4xx) or could not be reached. */
export class TokenEndpointError extends Error {
  override name = "TokenEndpointError";
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
  /** True when the IdP said the credentials are wrong (as opposed to being unreachable). */
  get rejected(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

interface Cached {
  response?: TokenResponse;
  /** A refusal (4xx), remembered briefly: the same wrong credentials do not hammer the IdP. */
  error?: TokenEndpointError;
  expiresAt: number;
}

export interface TokenClientOptions {
  now?: () => number;
  timeoutMs?: number;
  maxEntries?: number;
  /** Seconds before expires_in that a cached token is replaced (default 10). */
  skewSeconds?: number;
  /** Lifetime assumed when the IdP sends no expires_in (default 300 s). */
  defaultTtlSeconds?: number;
  /** How long a refusal for the same credentials is remembered (default 5 s). */
  negativeTtlMs?: number;
}

export class TokenClient {
  private readonly cache: BoundedMap<string, Cached>;
  private readonly inflight = new Map<string, Promise<TokenResponse>>();
  private readonly now: () => number;
  /** Requests sent to token endpoints (for tests and metrics). */
  requests = 0;

  constructor(private readonly opts: TokenClientOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.cache = new BoundedMap(opts.maxEntries ?? 10_000);
  }

  /** One token request; throws TokenEndpointError on refusal or failure. */
  async request(endpoint: string, params: Record<string, string | undefined>, auth: ClientAuth): Promise<TokenResponse> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") body.set(k, v);
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    await applyClientAuth(auth, endpoint, body, headers);
    this.requests++;
    let status: number;
    let json: unknown;
    try {
      ({ status, body: json } = await fetchJson(endpoint, { method: "POST", headers, body: body.toString() }, this.opts.timeoutMs));
    } catch (e) {
      throw new TokenEndpointError(502, "temporarily_unavailable", `the token endpoint could not be reached (${(e as Error).message})`);
    }
    const o = (json && typeof json === "object" ? json : {}) as Record<string, unknown>;
    if (status !== 200 || typeof o.access_token !== "string") {
      const error = typeof o.error === "string" ? o.error : "invalid_response";
      const desc = typeof o.error_description === "string" ? o.error_description : `the token endpoint answered ${status}`;
      throw new TokenEndpointError(status === 200 ? 502 : status, error, desc);
    }
    return o as TokenResponse;
  }

  /** A grant whose result may be shared by every request with the same credentials, cached until it expires. */
  async cachedGrant(endpoint: string, params: Record<string, string | undefined>, auth: ClientAuth, secretForKey: string, useCache = true): Promise<TokenResponse> {
    if (!useCache) return this.request(endpoint, params, auth);
    const key = TokenClient.cacheKey(endpoint, auth.client_id, secretForKey, params);
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt > this.now()) {
      if (hit.error) throw hit.error;
      return hit.response!;
    }
    if (hit) this.cache.delete(key);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.request(endpoint, params, auth)
        .then((response) => {
          const ttl = typeof response.expires_in === "number" && response.expires_in > 0 ? response.expires_in : (this.opts.defaultTtlSeconds ?? 300);
          const skew = Math.min(this.opts.skewSeconds ?? 10, ttl / 2);
          this.cache.set(key, { response, expiresAt: this.now() + (ttl - skew) * 1000 });
          return response;
        })
        .catch((e: unknown) => {
          if (e instanceof TokenEndpointError && e.rejected) this.cache.set(key, { error: e, expiresAt: this.now() + (this.opts.negativeTtlMs ?? 5_000) });
          throw e;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** (token endpoint, client_id, sha256(secret), grant parameters such as scope and username); passwords and refresh tokens only ever inside the hashed secret. */
  static cacheKey(endpoint: string, clientId: string, secret: string, params: Record<string, string | undefined>): string {
    const rest = Object.keys(params)
      .sort()
      .filter((k) => params[k] !== undefined && k !== "password" && k !== "refresh_token")
      .map((k) => `${k}=${params[k]}`)
      .join("&");
    return [endpoint, clientId, sha256b64u(secret), rest].join("\n");
  }
}
