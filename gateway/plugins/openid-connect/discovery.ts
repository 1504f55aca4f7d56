/**
 * Issuers and their keys. One TrustedIssuer per issuer: its discovery document
 * (OpenID Connect Discovery 1.0, or RFC 8414 metadata as a fallback) and its
 * JWKS, both cached. Keys are bound to the issuer they came from: a token is
 * verified only with the keys of the issuer its `iss` names.
 *
 * A kid we do not know triggers rediscovery at most once per `rediscoverAfterMs`
 * (30 s); when the IdP cannot be reached, the keys we have keep working.
 *
 * The built-in issuer is a static issuer: its keys come with the config
 * snapshot, and nothing is fetched for it.
 */
import { importJWK, type JWK } from "jose";
import { fetchJson } from "./util";

export interface IssuerMetadata {
  issuer: string;
  jwks_uri?: string;
  token_endpoint?: string;
  authorization_endpoint?: string;
  introspection_endpoint?: string;
  end_session_endpoint?: string;
  userinfo_endpoint?: string;
  [k: string]: unknown;
}

export interface VerificationKey {
  kid: string | undefined;
  /** Algorithms this key may verify: its `alg`, or what its type allows. Never HMAC, never none. */
  algs: string[];
  jwk: JWK;
  /** The key imported for one of `algs` (an RSA key without `alg` may verify RS* and PS*: one import each, cached). */
  keyFor(alg: string): Promise<CryptoKey | Uint8Array>;
}

const RSA_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_ALGS: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };

/** The asymmetric algorithms a public JWK can verify; [] for symmetric or unusable keys. */
export function algorithmsForKey(jwk: JWK): string[] {
  if (jwk.use && jwk.use !== "sig") return [];
  if (jwk.key_ops && !jwk.key_ops.includes("verify")) return [];
  let family: string[] = [];
  if (jwk.kty === "RSA") family = RSA_ALGS;
  else if (jwk.kty === "EC" && jwk.crv && EC_ALGS[jwk.crv]) family = [EC_ALGS[jwk.crv]];
  else if (jwk.kty === "OKP" && (jwk.crv === "Ed25519" || jwk.crv === "Ed448")) family = ["EdDSA", "Ed25519"].filter((a) => a !== "Ed25519" || jwk.crv === "Ed25519");
  if (jwk.alg) return family.includes(jwk.alg) ? [jwk.alg] : [];
  return family;
}

/** Public parts only: a JWKS that (wrongly) publishes private members must not make us sign-capable. */
function publicJwk(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, oth: _oth, ...pub } = jwk as JWK & { oth?: unknown };
  return pub;
}

export async function importKeys(jwks: unknown): Promise<VerificationKey[]> {
  const list = jwks && typeof jwks === "object" && Array.isArray((jwks as { keys?: unknown }).keys) ? (jwks as { keys: JWK[] }).keys : [];
  const out: VerificationKey[] = [];
  for (const raw of list) {
    if (!raw || typeof raw !== "object") continue;
    const jwk = publicJwk(raw);
    const algs = algorithmsForKey(jwk);
    if (algs.length === 0) continue;
    try {
      const imported = new Map<string, Promise<CryptoKey | Uint8Array>>([[algs[0], Promise.resolve(await importJWK(jwk, algs[0]))]]);
      const keyFor = (alg: string) => {
        let k = imported.get(alg);
        if (!k) imported.set(alg, (k = importJWK(jwk, alg)));
        return k;
      };
      out.push({ kid: typeof jwk.kid === "string" ? jwk.kid : undefined, algs, jwk, keyFor });
    } catch {
      // a key we cannot use is skipped, the others still work
    }
  }
  return out;
}

/** `https://idp/realms/x` or `https://idp/realms/x/.well-known/openid-configuration` -> discovery URL + expected issuer (if knowable). */
export function discoveryUrlFor(issuerOrUrl: string): { url: string; expectedIssuer: string | undefined } {
  if (issuerOrUrl.includes("/.well-known/")) return { url: issuerOrUrl, expectedIssuer: undefined };
  return { url: issuerOrUrl.replace(/\/+$/, "") + "/.well-known/openid-configuration", expectedIssuer: issuerOrUrl };
}

const sameIssuer = (a: string, b: string) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

export interface TrustedIssuerOptions {
  /** An issuer identifier or a discovery URL (fetched), or a static issuer with its JWKS. */
  source: { discovery: string } | { issuer: string; jwks: unknown; metadata?: Partial<IssuerMetadata> };
  extraJwksUris?: string[];
  rediscoverAfterMs?: number;
  /** While the first load fails, how long before it is tried again (default 5 s). */
  retryFailedAfterMs?: number;
  now?: () => number;
  timeoutMs?: number;
}

export class TrustedIssuer {
  private meta: IssuerMetadata | undefined;
  private keys: VerificationKey[] = [];
  private loadedAt = -Infinity;
  private inflight: Promise<void> | undefined;
  private lastError: string | undefined;
  private readonly rediscoverAfterMs: number;
  private readonly now: () => number;
  /** How many times the IdP was asked for its metadata and keys (for tests and metrics). */
  fetches = 0;

  constructor(private readonly opts: TrustedIssuerOptions) {
    this.rediscoverAfterMs = opts.rediscoverAfterMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  get isStatic(): boolean {
    return !("discovery" in this.opts.source);
  }

  /** The issuer identifier, once known (static issuers and issuer-base sources know it up front). */
  get issuer(): string | undefined {
    if (this.meta) return this.meta.issuer;
    const s = this.opts.source;
    if ("issuer" in s) return s.issuer;
    return discoveryUrlFor(s.discovery).expectedIssuer?.replace(/\/+$/, "");
  }

  /** Loads metadata and keys on first use; throws if that first load fails. */
  async metadata(): Promise<IssuerMetadata> {
    if (!this.meta) await this.firstLoad();
    if (!this.meta) throw new Error(this.lastError ?? "issuer metadata unavailable");
    return this.meta;
  }

  /** True if `iss` names this issuer (loads the discovery document if the identifier is not known yet). */
  async matches(iss: string): Promise<boolean> {
    if (this.meta) return this.meta.issuer === iss;
    const known = this.issuer;
    if (known !== undefined) return sameIssuer(known, iss);
    try {
      return (await this.metadata()).issuer === iss;
    } catch {
      return false;
    }
  }

  /**
   * The keys that may verify a token with this kid and alg. Unknown kid: rediscover
   * once (at most once per rediscoverAfterMs), keeping the old keys if that fails.
   */
  async keysFor(kid: string | undefined, alg: string): Promise<VerificationKey[]> {
    if (!this.meta) {
      try {
        await this.firstLoad();
      } catch {
        // lastError says why; no keys to offer
      }
    }
    let found = this.pick(kid, alg);
    if (found.length === 0 && kid !== undefined && !this.keys.some((k) => k.kid === kid) && !this.isStatic && this.now() - this.loadedAt >= this.rediscoverAfterMs) {
      try {
        await this.refresh();
      } catch {
        // stale keys stay
      }
      found = this.pick(kid, alg);
    }
    return found;
  }

  get unavailableReason(): string | undefined {
    return this.keys.length === 0 ? this.lastError : undefined;
  }

  private pick(kid: string | undefined, alg: string): VerificationKey[] {
    return this.keys.filter((k) => (kid === undefined || k.kid === kid) && k.algs.includes(alg));
  }

  /**
   * The first load, retried at most every `retryFailedAfterMs` (5 s) while it fails:
   * an unreachable IdP costs requests a fast 401, not a connection attempt each.
   */
  private firstLoad(): Promise<void> {
    if (this.lastError !== undefined && !this.inflight && this.now() - this.loadedAt < (this.opts.retryFailedAfterMs ?? 5_000)) {
      return Promise.reject(new Error(this.lastError));
    }
    return this.refresh();
  }

  /** Reloads metadata and keys now (single flight). On failure the previous ones stay. */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.load().finally(() => (this.inflight = undefined));
    }
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.loadedAt = this.now();
    const s = this.opts.source;
    try {
      let meta: IssuerMetadata;
      let jwks: unknown;
      if ("discovery" in s) {
        this.fetches++;
        meta = await this.discover(s.discovery);
        if (!meta.jwks_uri) throw new Error(`the discovery document of ${meta.issuer} has no jwks_uri`);
        jwks = await this.fetchJwks(meta.jwks_uri);
      } else {
        meta = { ...(s.metadata ?? {}), issuer: s.issuer };
        jwks = s.jwks;
      }
      const keys = await importKeys(jwks);
      for (const uri of this.opts.extraJwksUris ?? []) {
        try {
          keys.push(...(await importKeys(await this.fetchJwks(uri))));
        } catch {
          // one unreachable extra JWKS does not take the others down
        }
      }
      this.meta = meta;
      this.keys = keys;
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
      throw e;
    }
  }

  private async discover(issuerOrUrl: string): Promise<IssuerMetadata> {
    const { url, expectedIssuer } = discoveryUrlFor(issuerOrUrl);
    const urls = [url];
    if (expectedIssuer !== undefined) {
      // RFC 8414: the well-known segment goes between host and path
      const u = new URL(expectedIssuer);
      urls.push(`${u.origin}/.well-known/oauth-authorization-server${u.pathname.replace(/\/+$/, "")}`);
    }
    let lastErr: Error | undefined;
    for (const candidate of urls) {
      try {
        const { status, body } = await fetchJson(candidate, { headers: { accept: "application/json" } }, this.opts.timeoutMs);
        if (status !== 200 || !body || typeof body !== "object") throw new Error(`discovery at ${candidate} answered ${status}`);
        const meta = body as IssuerMetadata;
        if (typeof meta.issuer !== "string") throw new Error(`the discovery document at ${candidate} has no issuer`);
        if (expectedIssuer !== undefined && !sameIssuer(meta.issuer, expectedIssuer)) {
          throw new Error(`the discovery document at ${candidate} names issuer ${meta.issuer}, not ${expectedIssuer}`);
        }
        return meta;
      } catch (e) {
        lastErr = e as Error;
      }
    }
    throw lastErr ?? new Error(`no discovery document for ${issuerOrUrl}`);
  }

  private async fetchJwks(uri: string): Promise<unknown> {
    const { status, body } = await fetchJson(uri, { headers: { accept: "application/jwk-set+json, application/json" } }, this.opts.timeoutMs);
    if (status !== 200) throw new Error(`the JWKS at ${uri} answered ${status}`);
    return body;
  }
}
