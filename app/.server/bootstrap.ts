/**
 * What the first start creates: the first admin, the built-in issuer's IdP
 * connection, and (for `gatehouse start`) the demo API.
 */
import type { Kysely, Transaction } from "kysely";
import { describeErrors, validatePluginConfig } from "../../gateway/contract/plugins";
import type { Logger } from "../../lib/log";
import { audit, SYSTEM } from "./audit";
import { changeConfig, type ConfigEvents } from "./config-version";
import { json, type Database } from "./db/schema";
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

/** The demo's plugins: openid-connect on the built-in issuer, and application-registration. */
export function demoPluginConfigs(issuer: string): { "openid-connect": Record<string, unknown>; "application-registration": Record<string, unknown> } {
  const check = (name: string, config: Record<string, unknown>) => {
    const r = validatePluginConfig(name, config);
    if (!r.ok) throw new Error(`demo ${name} config: ${describeErrors(r.errors)}`);
    return r.value;
  };
  return {
    "openid-connect": check("openid-connect", {
      issuer,
      auth_methods: ["bearer", "client_credentials"],
      // Kong's default names the claim `sub`; application-registration resolves the application itself
      consumer_optional: true,
    }),
    "application-registration": check("application-registration", {
      display_name: "Demo API",
      description: "An echo service seeded by `gatehouse start`: it answers with the request it received, headers included.",
      auto_approve: false,
      show_issuer: true,
      enable_proxy_with_consumer_credential: false,
    }),
  };
}

async function addDemoPlugins(trx: Transaction<Database>, serviceId: string, issuer: string): Promise<void> {
  const configs = demoPluginConfigs(issuer);
  for (const name of ["openid-connect", "application-registration"] as const) {
    const exists = await trx.selectFrom("plugins").select("id").where("name", "=", name).where("service_id", "=", serviceId).executeTakeFirst();
    if (exists) continue;
    await trx
      .insertInto("plugins")
      .values({
        id: crypto.randomUUID(),
        name,
        service_id: serviceId,
        config: json(configs[name]),
        protocols: json(["http", "https"]),
        tags: json([DEMO_TAG]),
      })
      .execute();
  }
}

/**
 * Seeds the demo API once: service `demo` (the demo upstream), route `/demo`,
 * openid-connect on the built-in issuer (bearer and client_credentials) and
 * application-registration, so a new user walks the whole loop: sign up,
 * create an application, request access, get approved in /admin, call it.
 * Later starts only follow the demo upstream's address and the built-in
 * issuer (PUBLIC_URL) in what the seed created. An admin who deletes the demo
 * service keeps it deleted; the plugins are added once to a demo seeded before
 * they existed.
 */
export async function seedDemo(
  db: Kysely<Database>,
  events: ConfigEvents,
  upstream: { host: string; port: number },
  opts: { issuer?: string } = {},
): Promise<"created" | "updated" | "unchanged" | "deleted-by-admin"> {
  const seeded = await db.selectFrom("settings").select("value").where("key", "=", "seed.demo").executeTakeFirst();
  const pluginsSeeded = await db.selectFrom("settings").select("value").where("key", "=", "seed.demo.plugins").executeTakeFirst();
  const svc = await db.selectFrom("services").selectAll().where("name", "=", "demo").executeTakeFirst();
  if (seeded) {
    if (!svc) return "deleted-by-admin";
    if (!svc.tags.includes(DEMO_TAG)) return "unchanged";
    const moveUpstream = svc.host !== upstream.host || svc.port !== upstream.port;
    const oidc = await db
      .selectFrom("plugins")
      .select(["id", "config", "tags"])
      .where("name", "=", "openid-connect")
      .where("service_id", "=", svc.id)
      .executeTakeFirst();
    const moveIssuer = Boolean(opts.issuer && oidc && oidc.tags.includes(DEMO_TAG) && oidc.config.issuer !== opts.issuer);
    const addPlugins = Boolean(opts.issuer && !pluginsSeeded);
    if (!moveUpstream && !moveIssuer && !addPlugins) return "unchanged";
    await changeConfig(db, events, async (trx) => {
      if (moveUpstream) {
        await trx.updateTable("services").set({ host: upstream.host, port: upstream.port, updated_at: new Date() }).where("id", "=", svc.id).execute();
      }
      if (moveIssuer) {
        await trx
          .updateTable("plugins")
          .set({ config: json({ ...oidc!.config, issuer: opts.issuer }), updated_at: new Date() })
          .where("id", "=", oidc!.id)
          .execute();
      }
      if (addPlugins) {
        await addDemoPlugins(trx, svc.id, opts.issuer!);
        await trx.insertInto("settings").values({ key: "seed.demo.plugins", value: JSON.stringify({ at: new Date().toISOString() }) }).execute();
      }
    });
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
    if (opts.issuer) {
      await addDemoPlugins(trx, serviceId, opts.issuer);
      await trx.insertInto("settings").values({ key: "seed.demo.plugins", value: JSON.stringify({ at: new Date().toISOString() }) }).execute();
    }
    await audit(trx, SYSTEM, "demo.seed", { type: "service", id: serviceId });
  });
  return "created";
}
