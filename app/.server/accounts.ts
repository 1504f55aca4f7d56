/**
 * Developer accounts around developers.ts: sign-up with the configurable meta
 * fields and its email, email verification, password reset by email, and log-in
 * with throttling. Answers never reveal whether an email has an account.
 */
import { audit } from "./audit";
import type { ControlPlane } from "./context";
import { randomToken, sha256 } from "./crypto";
import type { Developer } from "./db/schema";
import { authenticateDeveloper, normalizeEmail, signUp, validateEmail, validatePassword, ValidationError } from "./developers";
import { hashPassword } from "./passwords";
import { throttleMessage } from "./throttle";

const RESET_MINUTES = 30;
const VERIFY_HOURS = 48;

export interface RegisterInput {
  email: unknown;
  password: unknown;
  full_name: unknown;
  meta?: unknown;
}

async function issueToken(cp: ControlPlane, developerId: string, purpose: "password_reset" | "email_verification", ttlMs: number): Promise<string> {
  const token = randomToken(32);
  await cp.db.deleteFrom("developer_tokens").where("developer_id", "=", developerId).where("purpose", "=", purpose).execute();
  await cp.db
    .insertInto("developer_tokens")
    .values({ token_hash: sha256(token), developer_id: developerId, purpose, expires_at: new Date(Date.now() + ttlMs) })
    .execute();
  return token;
}

/** Signs a developer up. Returns the same shape whether or not the email was taken. */
export async function registerDeveloper(cp: ControlPlane, input: RegisterInput): Promise<{ id: string; status: Developer["status"] }> {
  const settings = await cp.settings.all();
  const metaIn = input.meta && typeof input.meta === "object" && !Array.isArray(input.meta) ? (input.meta as Record<string, unknown>) : {};
  const meta: Record<string, string> = {};
  const fields: Record<string, string> = {};
  for (const f of settings["portal.developer_meta_fields"]) {
    const v = metaIn[f.name];
    if (typeof v === "string" && v.trim()) meta[f.name] = v.trim().slice(0, 500);
    else if (f.required) fields[`meta.${f.name}`] = `${f.label} is required`;
  }
  if (Object.keys(fields).length) {
    const e = validateEmail(input.email);
    const p = validatePassword(input.password);
    if (e) fields.email = e;
    if (p) fields.password = p;
    if (typeof input.full_name !== "string" || !input.full_name.trim()) fields.full_name = "Enter your full name.";
    throw new ValidationError(fields);
  }
  const result = await signUp(cp.db, { email: input.email, password: input.password, full_name: input.full_name, meta }, { autoApprove: settings["portal.developer_auto_approve"] });
  if (result.outcome === "exists") {
    // same answer as a new account, with a fresh-looking id: nothing to learn from it
    return { id: crypto.randomUUID(), status: settings["portal.developer_auto_approve"] ? "approved" : "requested" };
  }
  const dev = result.developer;
  let verify_url: string | undefined;
  if (settings["portal.email_verification"]) {
    const token = await issueToken(cp, dev.id, "email_verification", VERIFY_HOURS * 3600_000);
    verify_url = `${cp.urls.public}/verify-email?token=${encodeURIComponent(token)}`;
  }
  await cp.portal.emails.enqueue(cp.db, "sign-up", dev.email, { full_name: dev.full_name, approved: dev.status === "approved", verify_url });
  return { id: dev.id, status: dev.status };
}

export type LoginResult = { ok: true; developer: Developer } | { ok: false; status: 401 | 403 | 429; message: string };

export const NOT_APPROVED_MESSAGES: Record<string, string> = {
  requested: "Your account is waiting for an administrator's approval. You will get an email once it is approved.",
  rejected: "Your registration was not approved. Contact the portal's administrators if you think this is a mistake.",
  revoked: "Your access to this portal has been revoked. Contact the portal's administrators.",
};

/** Checks credentials with throttling per email (and per client address when known). */
export async function loginDeveloper(cp: ControlPlane, email: unknown, password: unknown, client?: string | null): Promise<LoginResult> {
  const wait = cp.portal.throttle.retryAfter(email, client);
  if (wait > 0) return { ok: false, status: 429, message: throttleMessage(wait) };
  const r = await authenticateDeveloper(cp.db, email, password);
  if (!r.ok) {
    if (r.reason === "invalid") {
      cp.portal.throttle.fail(email, client);
      return { ok: false, status: 401, message: "The email or password is not right." };
    }
    return { ok: false, status: 403, message: NOT_APPROVED_MESSAGES[r.status] ?? "Your account cannot log in." };
  }
  cp.portal.throttle.succeed(email);
  if ((await cp.settings.get("portal.email_verification")) && !r.developer.email_verified_at) {
    return { ok: false, status: 403, message: "Confirm your email address first: open the link we sent you." };
  }
  return { ok: true, developer: r.developer };
}

/** Sends a reset link if the email has an account; the caller answers the same either way. */
export async function requestPasswordReset(cp: ControlPlane, email: unknown): Promise<void> {
  if (typeof email !== "string" || !email.trim()) throw new ValidationError({ email: "Enter your email address." });
  const dev = await cp.db.selectFrom("developers").selectAll().where("email", "=", normalizeEmail(email)).executeTakeFirst();
  if (!dev || dev.status === "rejected" || dev.status === "revoked") return;
  const token = await issueToken(cp, dev.id, "password_reset", RESET_MINUTES * 60_000);
  await cp.portal.emails.enqueue(cp.db, "password-reset", dev.email, {
    full_name: dev.full_name,
    reset_url: `${cp.urls.public}/reset-password?token=${encodeURIComponent(token)}`,
    minutes: RESET_MINUTES,
  });
}

async function useToken(cp: ControlPlane, token: unknown, purpose: "password_reset" | "email_verification"): Promise<string | undefined> {
  if (typeof token !== "string" || !token || token.length > 100) return undefined;
  const row = await cp.db
    .updateTable("developer_tokens")
    .set({ used_at: new Date() })
    .where("token_hash", "=", sha256(token))
    .where("purpose", "=", purpose)
    .where("used_at", "is", null)
    .where("expires_at", ">", new Date())
    .returning("developer_id")
    .executeTakeFirst();
  return row?.developer_id;
}

export async function resetPassword(cp: ControlPlane, token: unknown, password: unknown): Promise<void> {
  const pw = validatePassword(password);
  if (pw) throw new ValidationError({ password: pw });
  const developerId = await useToken(cp, token, "password_reset");
  if (!developerId) throw new ValidationError({ token: "This reset link is invalid, used or expired: ask for a new one." });
  await cp.db.updateTable("developers").set({ password_hash: await hashPassword(password as string), updated_at: new Date() }).where("id", "=", developerId).execute();
  await cp.sessions.destroyAllFor({ developerId });
  await audit(cp.db, { type: "developer", id: developerId }, "developer.password_reset", { type: "developer", id: developerId });
}

export async function verifyEmail(cp: ControlPlane, token: unknown): Promise<boolean> {
  const developerId = await useToken(cp, token, "email_verification");
  if (!developerId) return false;
  await cp.db.updateTable("developers").set({ email_verified_at: new Date(), updated_at: new Date() }).where("id", "=", developerId).execute();
  return true;
}
