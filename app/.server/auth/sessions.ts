/**
 * Portal sessions (developers and admins) and CSRF tokens.
 *
 * The `gatehouse_session` cookie holds 256 random bits; the database keeps only
 * their SHA-256. The cookie is HttpOnly, SameSite=Lax, Secure when PUBLIC_URL is
 * https. Sessions end after an idle period and at an absolute lifetime.
 *
 * CSRF: every form carries `_csrf` = HMAC(key, binding), where the binding is the
 * session's own csrf_secret, or for anonymous forms (log in, sign up) the random
 * value of the `gatehouse_csrf` cookie set when the form was rendered.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Admin, Database, Developer } from "../db/schema";
import { randomToken, safeEqual, sha256 } from "../crypto";

export const SESSION_COOKIE = "gatehouse_session";
export const CSRF_COOKIE = "gatehouse_csrf";
export const CSRF_FIELD = "_csrf";

export interface SessionPolicy {
  idleSeconds: number;
  absoluteSeconds: number;
}

export const DEVELOPER_SESSION: SessionPolicy = { idleSeconds: 7 * 86_400, absoluteSeconds: 30 * 86_400 };
export const ADMIN_SESSION: SessionPolicy = { idleSeconds: 2 * 3600, absoluteSeconds: 12 * 3600 };

export interface Viewer {
  sessionId: string;
  csrfSecret: string;
  developer: Developer | null;
  admin: Admin | null;
}

export class CsrfError extends Error {
  override name = "CsrfError";
  constructor() {
    super("the form expired or did not come from this portal: reload the page and try again");
  }
}

export function parseCookies(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || k in out) continue;
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[k] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export class Sessions {
  readonly #csrfKey: Buffer;
  readonly #secure: boolean;
  /** last_seen_at is written at most this often per session. */
  readonly #touchEverySeconds = 60;

  constructor(
    private readonly db: Kysely<Database>,
    opts: { masterSecret: string; publicUrl: string },
  ) {
    this.#csrfKey = Buffer.from(crypto.hkdfSync("sha256", Buffer.from(opts.masterSecret, "utf8"), "gatehouse", "csrf/v1", 32));
    this.#secure = opts.publicUrl.startsWith("https://");
  }

  get secureCookies(): boolean {
    return this.#secure;
  }

  cookie(name: string, value: string, maxAgeSeconds: number): string {
    return [
      `${name}=${encodeURIComponent(value)}`,
      "Path=/",
      "HttpOnly",
      "SameSite=Lax",
      this.#secure ? "Secure" : "",
      `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ]
      .filter(Boolean)
      .join("; ");
  }

  clearCookie(name = SESSION_COOKIE): string {
    return this.cookie(name, "", 0);
  }

  /** Starts a session; returns the Set-Cookie header value. */
  async create(subject: { developerId: string } | { adminId: string }, userAgent?: string | null): Promise<string> {
    const token = randomToken(32);
    const policy = "adminId" in subject ? ADMIN_SESSION : DEVELOPER_SESSION;
    const now = Date.now();
    await this.db
      .insertInto("sessions")
      .values({
        id: sha256(token),
        developer_id: "developerId" in subject ? subject.developerId : null,
        admin_id: "adminId" in subject ? subject.adminId : null,
        csrf_secret: randomToken(32),
        user_agent: userAgent ? userAgent.slice(0, 300) : null,
        expires_at: new Date(now + policy.absoluteSeconds * 1000),
      })
      .execute();
    return this.cookie(SESSION_COOKIE, token, policy.absoluteSeconds);
  }

  /** The signed-in viewer of a request, or null. Expired and idle sessions are removed. */
  async viewer(request: Request): Promise<Viewer | null> {
    const token = parseCookies(request.headers.get("cookie"))[SESSION_COOKIE];
    if (!token || token.length > 100) return null;
    const id = sha256(token);
    const row = await this.db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) return null;
    const now = Date.now();
    const policy = row.admin_id ? ADMIN_SESSION : DEVELOPER_SESSION;
    if (row.expires_at.getTime() <= now || row.last_seen_at.getTime() + policy.idleSeconds * 1000 <= now) {
      await this.db.deleteFrom("sessions").where("id", "=", id).execute();
      return null;
    }
    if (now - row.last_seen_at.getTime() > this.#touchEverySeconds * 1000) {
      await this.db.updateTable("sessions").set({ last_seen_at: new Date(now) }).where("id", "=", id).execute();
    }
    const developer = row.developer_id
      ? ((await this.db.selectFrom("developers").selectAll().where("id", "=", row.developer_id).executeTakeFirst()) ?? null)
      : null;
    const admin = row.admin_id
      ? ((await this.db.selectFrom("admins").selectAll().where("id", "=", row.admin_id).executeTakeFirst()) ?? null)
      : null;
    if (!developer && !admin) return null;
    return { sessionId: id, csrfSecret: row.csrf_secret, developer, admin };
  }

  /** Ends the request's session (if any); returns the Set-Cookie header that clears it. */
  async destroy(request: Request): Promise<string> {
    const token = parseCookies(request.headers.get("cookie"))[SESSION_COOKIE];
    if (token) await this.db.deleteFrom("sessions").where("id", "=", sha256(token)).execute();
    return this.clearCookie();
  }

  /** Ends every session of a developer or admin (password reset, revocation). */
  async destroyAllFor(subject: { developerId: string } | { adminId: string }): Promise<void> {
    if ("developerId" in subject) await this.db.deleteFrom("sessions").where("developer_id", "=", subject.developerId).execute();
    else await this.db.deleteFrom("sessions").where("admin_id", "=", subject.adminId).execute();
  }

  #sign(binding: string): string {
    return crypto.createHmac("sha256", this.#csrfKey).update(binding).digest("base64url");
  }

  /**
   * The CSRF token for a form on this request. For a signed-in viewer it is bound
   * to the session; otherwise to the `gatehouse_csrf` cookie, which is created
   * when missing (send `setCookie` with the response).
   */
  async csrf(request: Request, viewer?: Viewer | null): Promise<{ token: string; setCookie?: string }> {
    const v = viewer === undefined ? await this.viewer(request) : viewer;
    if (v) return { token: this.#sign("session:" + v.csrfSecret) };
    const existing = parseCookies(request.headers.get("cookie"))[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { token: this.#sign("anon:" + existing) };
    const fresh = randomToken(32);
    return { token: this.#sign("anon:" + fresh), setCookie: this.cookie(CSRF_COOKIE, fresh, 2 * 3600) };
  }

  /** Throws CsrfError unless `presented` is the CSRF token for this request's session or anonymous cookie. */
  async verifyCsrf(request: Request, presented: FormDataEntryValue | string | null | undefined, viewer?: Viewer | null): Promise<void> {
    if (typeof presented !== "string" || !presented) throw new CsrfError();
    const v = viewer === undefined ? await this.viewer(request) : viewer;
    const candidates: string[] = [];
    if (v) candidates.push(this.#sign("session:" + v.csrfSecret));
    const anon = parseCookies(request.headers.get("cookie"))[CSRF_COOKIE];
    if (anon) candidates.push(this.#sign("anon:" + anon));
    if (!candidates.some((c) => safeEqual(c, presented))) throw new CsrfError();
  }
}
