/**
 * What the first start creates: the first admin, the built-in issuer's IdP
 * connection, and (for `gatehouse start`) the demo API.
 */
import type { Kysely } from "kysely";
import type { Logger } from "../../lib/log";
import { audit, SYSTEM } from "./audit";
import { changeConfig, type ConfigEvents } from "./config-version";
import type { Database } from "./db/schema";
import { generatePassword, hashPassword } from "./passwords";

export interface FirstAdmin {
  email: string;
  /** Set only when the password was generated: print it once. */
  generatedPassword?: string;
}

/** Creates the first super-admin when there is no admin at all. */
export async function ensureFirstAdmin(
  db: Kysely<Database>,
  opts: { email: string; password?: string },
): Promise<FirstAdmin | undefined> {
  const existing = await db.selectFrom("admins").select("id").limit(1).executeTakeFirst();
  if (existing) return undefined;
  const password = opts.password ?? generatePassword();
  const id = crypto.randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("admins")
      .values({ id, email: opts.email.toLowerCase(), password_hash: await hashPassword(password), role: "super-admin" })
      .execute();
    await audit(trx, SYSTEM, "admin.bootstrap", { type: "admin", id }, { email: opts.email });
  });
  return { email: opts.email, generatedPassword: opts.password ? undefined : password };
}

export const BUILTIN_IDP_NAME = "built-in";

/** The built-in issuer is an IdP connection from the first start; its issuer follows PUBLIC_URL. */
export async function ensureBuiltinIdpConnection(
  db: Kysely<Database>,
  issuer: string,
  log: Logger,
  applicationClaim = "application_id",
): Promise<string> {
  const row = await db.selectFrom("idp_connections").select(["id", "issuer"]).where("mode", "=", "builtin").executeTakeFirst();
  if (row) {
    if (row.issuer !== issuer) {
      await db.updateTable("idp_connections").set({ issuer, updated_at: new Date() }).where("id", "=", row.id).execute();
      log.warn("PUBLIC_URL changed: the built-in issuer is now " + issuer + "; tokens issued under the old issuer no longer validate", {
        was: row.issuer,
      });
    }
    return row.id;
  }
  const id = crypto.randomUUID();
  await db
    .insertInto("idp_connections")
    .values({
      id,
      name: BUILTIN_IDP_NAME,
      issuer,
      mode: "builtin",
      provider: "builtin",
      application_claim: applicationClaim,
    })
    .execute();
  return id;
}

export const DEMO_TAG = "gatehouse-demo";

/**
 * Seeds the demo API once (service `demo`, route `/demo`); on later starts only
 * follows the demo upstream's address. An admin who deletes it keeps it deleted.
 */
export async function seedDemo(
  db: Kysely<Database>,
  events: ConfigEvents,
  upstream: { host: string; port: number },
): Promise<"created" | "updated" | "unchanged" | "deleted-by-admin"> {
  const seeded = await db.selectFrom("settings").select("value").where("key", "=", "seed.demo").executeTakeFirst();
  const svc = await db.selectFrom("services").selectAll().where("name", "=", "demo").executeTakeFirst();
  if (seeded) {
    if (!svc) return "deleted-by-admin";
    if (!svc.tags.includes(DEMO_TAG) || (svc.host === upstream.host && svc.port === upstream.port)) return "unchanged";
    await changeConfig(db, events, (trx) =>
      trx.updateTable("services").set({ host: upstream.host, port: upstream.port, updated_at: new Date() }).where("id", "=", svc.id).execute(),
    );
    return "updated";
  }
  await changeConfig(db, events, async (trx) => {
    const serviceId = crypto.randomUUID();
    await trx
      .insertInto("services")
      .values({
        id: serviceId,
        name: "demo",
        protocol: "http",
        host: upstream.host,
        port: upstream.port,
        path: "/",
        tags: JSON.stringify([DEMO_TAG]),
      })
      .execute();
    await trx
      .insertInto("routes")
      .values({
        id: crypto.randomUUID(),
        name: "demo",
        service_id: serviceId,
        paths: JSON.stringify(["/demo"]),
        strip_path: true,
        tags: JSON.stringify([DEMO_TAG]),
      })
      .execute();
    await trx.insertInto("settings").values({ key: "seed.demo", value: JSON.stringify({ at: new Date().toISOString() }) }).execute();
    await audit(trx, SYSTEM, "demo.seed", { type: "service", id: serviceId });
  });
  return "created";
}
