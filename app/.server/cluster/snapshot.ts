/**
 * Builds the config snapshot data planes enforce, in one REPEATABLE READ
 * transaction together with its config_version, so a snapshot never mixes two
 * versions. Shape: gateway/contract/snapshot.ts.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import { SNAPSHOT_FORMAT_VERSION, type Snapshot } from "../../../gateway/contract/snapshot";
import { aclEntity, consumerEntity, pluginEntity, routeEntity, serviceEntity } from "../admin-api/entities";
import type { ControlPlane } from "../context";
import type { Database } from "../db/schema";

const SESSION_SECRET_KEY = "gateway.session_secret";

/** The session secret shared by every data plane: generated once, stored encrypted in settings. */
export async function ensureSessionSecret(cp: Pick<ControlPlane, "db" | "keyring">): Promise<string> {
  const aad = `settings:${SESSION_SECRET_KEY}`;
  const read = async () => {
    const row = await cp.db.selectFrom("settings").select("value").where("key", "=", SESSION_SECRET_KEY).executeTakeFirst();
    return row ? cp.keyring.decrypt(row.value as string, aad) : undefined;
  };
  const existing = await read();
  if (existing) return existing;
  const secret = crypto.randomBytes(32).toString("base64url");
  await cp.db
    .insertInto("settings")
    .values({ key: SESSION_SECRET_KEY, value: JSON.stringify(cp.keyring.encrypt(secret, aad)) })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  return (await read())!;
}

export async function buildSnapshot(cp: Pick<ControlPlane, "db" | "keyring" | "urls">): Promise<Snapshot> {
  const sessionSecret = await ensureSessionSecret(cp);
  const db: Kysely<Database> = cp.db;
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .execute(async (trx) => {
      const now = new Date();
      const version = (await trx.selectFrom("config_version").select("version").where("id", "=", 1).executeTakeFirstOrThrow()).version;
      const [services, routes, plugins, consumers, acls, idps, apps, instances, keys, revoked] = [
        await trx.selectFrom("services").selectAll().orderBy("created_at").orderBy("id").execute(),
        await trx.selectFrom("routes").selectAll().orderBy("created_at").orderBy("id").execute(),
        await trx.selectFrom("plugins").selectAll().orderBy("created_at").orderBy("id").execute(),
        await trx.selectFrom("consumers").selectAll().orderBy("created_at").orderBy("id").execute(),
        await trx.selectFrom("acls").selectAll().orderBy("created_at").orderBy("id").execute(),
        await trx.selectFrom("idp_connections").selectAll().where("enabled", "=", true).orderBy("created_at").execute(),
        await trx.selectFrom("applications").select(["id", "name", "client_id", "consumer_id", "idp_connection_id", "developer_id"]).orderBy("created_at").execute(),
        await trx.selectFrom("application_instances").select(["application_id", "service_id", "status"]).execute(),
        await trx
          .selectFrom("signing_keys")
          .select(["kid", "public_jwk", "state", "not_after"])
          .where((eb) => eb.or([eb("state", "in", ["next", "active"]), eb.and([eb("state", "=", "retired"), eb("not_after", ">", now)])]))
          .orderBy("created_at")
          .execute(),
        await trx.selectFrom("revoked_tokens").select(["jti", "exp"]).where("exp", ">", now).execute(),
      ];
      const builtin = idps.find((i) => i.mode === "builtin");
      return {
        format_version: SNAPSHOT_FORMAT_VERSION,
        version,
        generated_at: now.toISOString(),
        services: services.map(serviceEntity),
        routes: routes.map(routeEntity),
        plugins: plugins.map(pluginEntity),
        consumers: consumers.map(consumerEntity),
        acls: acls.map(aclEntity),
        applications: apps.map((a) => ({ id: a.id, name: a.name, client_id: a.client_id, consumer_id: a.consumer_id, idp_connection_id: a.idp_connection_id, developer_id: a.developer_id })),
        application_instances: instances,
        idp_connections: idps.map((i) => ({ id: i.id, name: i.name, issuer: i.issuer, mode: i.mode, application_claim: i.application_claim })),
        builtin_issuer: { issuer: builtin?.issuer ?? cp.urls.issuer, jwks: { keys: keys.map((k) => ({ ...k.public_jwk, kid: k.kid })) } },
        revoked_tokens: revoked.map((r) => ({ jti: r.jti, exp: Math.floor(new Date(r.exp).getTime() / 1000) })),
        session_secret: sessionSecret,
      } satisfies Snapshot;
    });
}
