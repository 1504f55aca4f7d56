/**
 * The encrypted session cookie of the authorization_code flow.
 *
 * AES-256-GCM under a key derived (HKDF-SHA256) from `session_secret`, with the
 * cookie name as associated data, so a value cannot move between cookies. The
 * payload carries its own timestamps: `session_idling_timeout` (since last use),
 * `session_rolling_timeout` (since the cookie was last renewed; each use renews
 * it), `session_absolute_timeout` (since the login). A value larger than one
 * cookie can hold is split over `<name>`, `<name>_2`, `<name>_3`...
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const CHUNK = 3800;
const MAX_CHUNKS = 5;

export interface SessionData {
  /** created (login), renewed (rolling), used (idling): seconds. */
  created: number;
  renewed: number;
  used: number;
  access_token?: string;
  id_token?: string;
  refresh_token?: string;
  /** access_token expiry, seconds. */
  expires_at?: number;
  [k: string]: unknown;
}

export interface SessionTimeouts {
  idling: number;
  rolling: number;
  absolute: number;
}

export class SessionCodec {
  private readonly key: Buffer;
  constructor(secret: string, readonly cookieName: string) {
    if (!secret) throw new Error("a session secret is required");
    this.key = Buffer.from(hkdfSync("sha256", secret, "gatehouse", "openid-connect session v1", 32));
  }

  seal(value: unknown, name = this.cookieName): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    c.setAAD(Buffer.from(name));
    const ct = Buffer.concat([c.update(JSON.stringify(value), "utf8"), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64url");
  }

  /** undefined for anything that does not decrypt (tampered, other secret, other cookie). */
  open<T = unknown>(sealed: string | undefined, name = this.cookieName): T | undefined {
    if (!sealed || sealed.length > CHUNK * MAX_CHUNKS || !/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
    const buf = Buffer.from(sealed, "base64url");
    if (buf.length < 29) return undefined;
    try {
      const d = createDecipheriv("aes-256-gcm", this.key, buf.subarray(0, 12));
      d.setAAD(Buffer.from(name));
      d.setAuthTag(buf.subarray(12, 28));
      const pt = Buffer.concat([d.update(buf.subarray(28)), d.final()]);
      return JSON.parse(pt.toString("utf8")) as T;
    } catch {
      return undefined;
    }
  }
}

/** Parses a Cookie header into name -> value (first occurrence wins). */
export function parseCookies(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const all = Array.isArray(header) ? header.join("; ") : (header ?? "");
  for (const part of all.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !out.has(k)) out.set(k, part.slice(i + 1).trim());
  }
  return out;
}

export interface CookieOptions {
  path?: string;
  secure?: boolean;
  sameSite?: "Lax" | "Strict" | "None";
  maxAge?: number;
}

function cookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${o.path ?? "/"}`, "HttpOnly", `SameSite=${o.sameSite ?? "Lax"}`];
  if (o.secure) parts.push("Secure");
  if (o.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(o.maxAge))}`);
  return parts.join("; ");
}

const chunkName = (name: string, i: number) => (i === 0 ? name : `${name}_${i + 1}`);

/** Reads a (possibly chunked) sealed value. */
export function readSealed(cookies: Map<string, string>, name: string): string | undefined {
  const first = cookies.get(name);
  if (!first) return undefined;
  let v = first;
  for (let i = 1; i < MAX_CHUNKS; i++) {
    const next = cookies.get(chunkName(name, i));
    if (!next) break;
    v += next;
  }
  return v;
}

/** Set-Cookie values for a sealed value (chunked), clearing chunks a previous, larger value used. */
export function writeSealed(cookies: Map<string, string>, name: string, sealed: string, o: CookieOptions): string[] {
  const out: string[] = [];
  const n = Math.ceil(sealed.length / CHUNK);
  if (n > MAX_CHUNKS) throw new Error("session too large for cookies");
  for (let i = 0; i < n; i++) out.push(cookie(chunkName(name, i), sealed.slice(i * CHUNK, (i + 1) * CHUNK), o));
  for (let i = n; i < MAX_CHUNKS; i++) if (cookies.has(chunkName(name, i))) out.push(cookie(chunkName(name, i), "", { ...o, maxAge: 0 }));
  return out;
}

/** Set-Cookie values that delete a (possibly chunked) cookie. */
export function clearSealed(cookies: Map<string, string>, name: string, o: CookieOptions): string[] {
  const out = [cookie(name, "", { ...o, maxAge: 0 })];
  for (let i = 1; i < MAX_CHUNKS; i++) if (cookies.has(chunkName(name, i))) out.push(cookie(chunkName(name, i), "", { ...o, maxAge: 0 }));
  return out;
}

/** Why a session is no longer valid, or undefined if it is. Timeouts of 0 are off. */
export function sessionExpired(s: SessionData, t: SessionTimeouts, now: number): string | undefined {
  if (typeof s.created !== "number" || typeof s.renewed !== "number" || typeof s.used !== "number") return "malformed";
  if (t.absolute > 0 && now >= s.created + t.absolute) return "absolute timeout";
  if (t.rolling > 0 && now >= s.renewed + t.rolling) return "rolling timeout";
  if (t.idling > 0 && now >= s.used + t.idling) return "idling timeout";
  return undefined;
}

/** Cookie Max-Age for a session: until the earliest timeout. */
export function sessionMaxAge(s: SessionData, t: SessionTimeouts, now: number): number | undefined {
  const ends = [t.absolute > 0 ? s.created + t.absolute : Infinity, t.rolling > 0 ? s.renewed + t.rolling : Infinity, t.idling > 0 ? s.used + t.idling : Infinity];
  const end = Math.min(...ends);
  return Number.isFinite(end) ? end - now : undefined;
}
