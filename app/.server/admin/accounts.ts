/**
 * Admin accounts: password log-in, listing, creation and roles. Roles rank
 * read-only < admin < super-admin; only a super-admin manages admins, and the
 * last super-admin cannot be demoted or deleted.
 */
import type { Kysely } from "kysely";
import { audit, type Actor } from "../audit";
import type { Admin, AdminRole, Database } from "../db/schema";
import { normalizeEmail, validateEmail, ValidationError } from "../developers";
import { isUuid } from "./ids";
import { dummyHash, hashPassword, verifyPassword } from "../passwords";

import { ADMIN_ROLES } from "../../components/admin/constants";
export { ADMIN_ROLES };
export const ADMIN_PASSWORD_MIN = 12;

export function isAdminRole(v: unknown): v is AdminRole {
  return typeof v === "string" && (ADMIN_ROLES as readonly string[]).includes(v);
}

export function actorOf(admin: Pick<Admin, "id" | "email">): Actor {
  return { type: "admin", id: admin.id, label: admin.email };
}

/** Checks an admin's email and password; timing does not reveal whether the account exists. */
export async function authenticateAdmin(db: Kysely<Database>, email: unknown, password: unknown): Promise<Admin | undefined> {
  if (typeof email !== "string" || typeof password !== "string" || !email || !password || password.length > 256) {
    await verifyPassword("x", await dummyHash());
    return undefined;
  }
  const admin = await db.selectFrom("admins").selectAll().where("email", "=", normalizeEmail(email)).executeTakeFirst();
  const ok = await verifyPassword(password, admin?.password_hash ?? (await dummyHash()));
  if (!admin || !ok) return undefined;
  await db.updateTable("admins").set({ last_login_at: new Date() }).where("id", "=", admin.id).execute();
  await audit(db, actorOf(admin), "admin.login", { type: "admin", id: admin.id });
  return admin;
}

export async function listAdmins(db: Kysely<Database>) {
  return db.selectFrom("admins").select(["id", "email", "role", "last_login_at", "created_at"]).orderBy("created_at").execute();
}

export async function createAdmin(
  db: Kysely<Database>,
  actor: Actor,
  input: { email: unknown; role: unknown; password: unknown },
): Promise<Pick<Admin, "id" | "email" | "role">> {
  const fields: Record<string, string> = {};
  const emailError = validateEmail(input.email);
  if (emailError) fields.email = emailError;
  if (!isAdminRole(input.role)) fields.role = "Choose a role: read-only, admin or super-admin.";
  if (typeof input.password !== "string" || input.password.length < ADMIN_PASSWORD_MIN || input.password.length > 256) {
    fields.password = `Use between ${ADMIN_PASSWORD_MIN} and 256 characters for the password.`;
  }
  if (Object.keys(fields).length) throw new ValidationError(fields);
  const email = normalizeEmail(input.email as string);
  const exists = await db.selectFrom("admins").select("id").where("email", "=", email).executeTakeFirst();
  if (exists) throw new ValidationError({ email: "An admin with this email exists already." });
  const id = crypto.randomUUID();
  const passwordHash = await hashPassword(input.password as string);
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("admins").values({ id, email, password_hash: passwordHash, role: input.role as AdminRole }).execute();
    await audit(trx, actor, "admin.create", { type: "admin", id }, { email, role: input.role });
  });
  return { id, email, role: input.role as AdminRole };
}

async function superAdminsLeft(db: Kysely<Database>, without: string): Promise<number> {
  const rows = await db.selectFrom("admins").select("id").where("role", "=", "super-admin").where("id", "!=", without).execute();
  return rows.length;
}

export async function setAdminRole(db: Kysely<Database>, actor: Actor, id: string, role: unknown): Promise<void> {
  if (!isAdminRole(role)) throw new ValidationError({ role: "Choose a role: read-only, admin or super-admin." });
  if (!isUuid(id)) throw new ValidationError({ id: "No such admin." });
  const target = await db.selectFrom("admins").select(["id", "role"]).where("id", "=", id).executeTakeFirst();
  if (!target) throw new ValidationError({ id: "No such admin." });
  if (target.role === "super-admin" && role !== "super-admin" && (await superAdminsLeft(db, id)) === 0) {
    throw new ValidationError({ role: "This is the last super-admin: make another admin super-admin first." });
  }
  await db.transaction().execute(async (trx) => {
    await trx.updateTable("admins").set({ role, updated_at: new Date() }).where("id", "=", id).execute();
    await audit(trx, actor, "admin.role", { type: "admin", id }, { from: target.role, to: role });
  });
}

export async function deleteAdmin(db: Kysely<Database>, actor: Actor, id: string): Promise<void> {
  if (actor.id === id) throw new ValidationError({ id: "You cannot delete your own account." });
  if (!isUuid(id)) throw new ValidationError({ id: "No such admin." });
  const target = await db.selectFrom("admins").select(["id", "role", "email"]).where("id", "=", id).executeTakeFirst();
  if (!target) throw new ValidationError({ id: "No such admin." });
  if (target.role === "super-admin" && (await superAdminsLeft(db, id)) === 0) {
    throw new ValidationError({ id: "This is the last super-admin." });
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("admins").where("id", "=", id).execute();
    await audit(trx, actor, "admin.delete", { type: "admin", id }, { email: target.email });
  });
}
