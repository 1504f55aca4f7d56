/**
 * Developer accounts: sign-up and password authentication.
 */
import type { Kysely } from "kysely";
import type { Database, Developer, DeveloperStatus } from "./db/schema";
import { dummyHash, hashPassword, verifyPassword } from "./passwords";
import { audit } from "./audit";

export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    readonly fields: Record<string, string>,
    message = Object.values(fields)[0] ?? "invalid input",
  ) {
    super(message);
  }
}

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function validateEmail(email: unknown): string | undefined {
  if (typeof email !== "string" || !email.trim()) return "Enter your email address.";
  const e = email.trim();
  if (e.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) return "Enter a valid email address, like name@example.com.";
  return undefined;
}

export function validatePassword(password: unknown): string | undefined {
  if (typeof password !== "string" || !password) return "Enter a password.";
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters for your password.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters for your password.`;
  return undefined;
}

export interface SignUpInput {
  email: unknown;
  password: unknown;
  full_name: unknown;
  meta?: Record<string, unknown>;
}

export type SignUpResult =
  | { outcome: "created"; developer: Developer }
  /** The email is taken: callers answer exactly as for "created", so sign-up never reveals an account. */
  | { outcome: "exists"; developer: Developer };

export async function signUp(
  db: Kysely<Database>,
  input: SignUpInput,
  opts: { autoApprove: boolean },
): Promise<SignUpResult> {
  const fields: Record<string, string> = {};
  const emailError = validateEmail(input.email);
  if (emailError) fields.email = emailError;
  const passwordError = validatePassword(input.password);
  if (passwordError) fields.password = passwordError;
  const fullName = typeof input.full_name === "string" ? input.full_name.trim() : "";
  if (!fullName) fields.full_name = "Enter your full name.";
  else if (fullName.length > 200) fields.full_name = "Use at most 200 characters for your name.";
  if (Object.keys(fields).length) throw new ValidationError(fields);

  const email = normalizeEmail(input.email as string);
  const existing = await db.selectFrom("developers").selectAll().where("email", "=", email).executeTakeFirst();
  const passwordHash = await hashPassword(input.password as string);
  if (existing) return { outcome: "exists", developer: existing };
  const status: DeveloperStatus = opts.autoApprove ? "approved" : "requested";
  const id = crypto.randomUUID();
  try {
    const developer = await db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("developers")
        .values({
          id,
          email,
          full_name: fullName,
          meta: JSON.stringify(input.meta ?? {}),
          password_hash: passwordHash,
          status,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(trx, { type: "developer", id, label: email }, "developer.sign_up", { type: "developer", id }, { status });
      return row;
    });
    return { outcome: "created", developer };
  } catch (err) {
    // a concurrent sign-up with the same email
    const again = await db.selectFrom("developers").selectAll().where("email", "=", email).executeTakeFirst();
    if (again) return { outcome: "exists", developer: again };
    throw err;
  }
}

export type AuthResult =
  | { ok: true; developer: Developer }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "not_approved"; status: DeveloperStatus; developer: Developer };

/** Checks email and password. Timing does not reveal whether the account exists. */
export async function authenticateDeveloper(db: Kysely<Database>, email: unknown, password: unknown): Promise<AuthResult> {
  if (typeof email !== "string" || typeof password !== "string" || !email || !password || password.length > PASSWORD_MAX) {
    await verifyPassword("x", await dummyHash());
    return { ok: false, reason: "invalid" };
  }
  const developer = await db.selectFrom("developers").selectAll().where("email", "=", normalizeEmail(email)).executeTakeFirst();
  const ok = await verifyPassword(password, developer?.password_hash ?? (await dummyHash()));
  if (!developer || !ok) return { ok: false, reason: "invalid" };
  if (developer.status !== "approved") return { ok: false, reason: "not_approved", status: developer.status, developer };
  return { ok: true, developer };
}

/** Only relative paths on this site are valid targets after log-in (no open redirects). */
export function safeRedirect(to: unknown, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  if (/[\r\n\t]/.test(to) || to.includes("\\")) return fallback;
  return to;
}
