/**
 * OAuth 2.0 Token Introspection client (RFC 7662). Active answers are cached
 * until min(exp, cache_ttl); inactive answers for a short time (negative
 * cache); one request in flight per token. The IdP being unreachable is never
 * cached.
 */
import { applyClientAuth, type ClientAuth } from "./client-auth";
import { invalidToken } from "./errors";
import { BoundedMap, fetchJson, sha256b64u } from "./util";

interface Entry {
  active: boolean;
  claims: Record<string, unknown>;
  until: number;
}

export interface IntrospectorOptions {
  now?: () => number;
  timeoutMs?: number;
  negativeTtlMs?: number;
  maxEntries?: number;
}

export interface IntrospectOptions {
  endpoint: string;
  auth: ClientAuth;
  /** Seconds; 0 disables the cache (cache_introspection: false). */
  cacheTtl: number;
  hint?: string;
}

export class Introspector {
  private readonly cache: BoundedMap<string, Entry>;
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly now: () => number;
  /** Requests sent to introspection endpoints (for tests and metrics). */
  requests = 0;

  constructor(private readonly opts: IntrospectorOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.cache = new BoundedMap(opts.maxEntries ?? 10_000);
  }

  /** Claims of an active token; 401 invalid_token if the IdP says it is not active. */
  async introspect(token: string, o: IntrospectOptions): Promise<Record<string, unknown>> {
    const key = `${o.endpoint}\n${o.auth.client_id}\n${sha256b64u(o.auth.client_secret ?? "")}\n${sha256b64u(token)}`;
    if (o.cacheTtl > 0) {
      const hit = this.cache.get(key);
      if (hit && hit.until > this.now()) return this.result(hit);
      if (hit) this.cache.delete(key);
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetch(token, o)
        .then((entry) => {
          if (o.cacheTtl > 0) this.cache.set(key, entry);
          return entry;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return this.result(await p);
  }

  private result(e: Entry): Record<string, unknown> {
    if (!e.active) throw invalidToken("the token is not active: the IdP's introspection endpoint says it is expired, revoked or unknown (RFC 7662)");
    return e.claims;
  }

  private async fetch(token: string, o: IntrospectOptions): Promise<Entry> {
    const body = new URLSearchParams({ token, token_type_hint: o.hint ?? "access_token" });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    await applyClientAuth(o.auth, o.endpoint, body, headers);
    this.requests++;
    let status: number;
    let json: unknown;
    try {
      ({ status, body: json } = await fetchJson(o.endpoint, { method: "POST", headers, body: body.toString() }, this.opts.timeoutMs));
    } catch (e) {
      throw invalidToken(`the token could not be introspected: the IdP is unreachable (${(e as Error).message})`);
    }
    if (status !== 200 || !json || typeof json !== "object") {
      throw invalidToken(`the token could not be introspected: the introspection endpoint answered ${status}; check the plugin's client_id, client_secret and client_auth`);
    }
    const claims = json as Record<string, unknown>;
    const now = this.now();
    if (claims.active !== true) return { active: false, claims: {}, until: now + (this.opts.negativeTtlMs ?? 5_000) };
    let until = now + o.cacheTtl * 1000;
    if (typeof claims.exp === "number") until = Math.min(until, claims.exp * 1000);
    return { active: true, claims, until };
  }
}
