/** Fixtures for portal tests: a catalog service carrying the application-registration plugin. */
import type { ControlPlane } from "../../app/.server/context";
import { changeConfig } from "../../app/.server/config-version";

export async function publishService(
  cp: ControlPlane,
  name: string,
  config: Record<string, unknown>,
  opts: { path?: string; oidc?: Record<string, unknown> } = {},
): Promise<string> {
  return changeConfig(cp.db, cp.configEvents, async (trx) => {
    let svc = await trx.selectFrom("services").select("id").where("name", "=", name).executeTakeFirst();
    if (!svc) {
      svc = { id: crypto.randomUUID() };
      await trx.insertInto("services").values({ id: svc.id, name, host: "127.0.0.1", port: 9 }).execute();
      await trx.insertInto("routes").values({ id: crypto.randomUUID(), name, service_id: svc.id, paths: JSON.stringify([opts.path ?? `/${name}`]) }).execute();
    }
    // `gatehouse start` seeds the demo with its own plugins: the fixture's replace them
    await trx.deleteFrom("plugins").where("service_id", "=", svc.id).where("name", "in", opts.oidc ? ["application-registration", "openid-connect"] : ["application-registration"]).execute();
    await trx.insertInto("plugins").values({ id: crypto.randomUUID(), name: "application-registration", service_id: svc.id, config: JSON.stringify(config) }).execute();
    if (opts.oidc) await trx.insertInto("plugins").values({ id: crypto.randomUUID(), name: "openid-connect", service_id: svc.id, config: JSON.stringify(opts.oidc) }).execute();
    return svc.id;
  });
}
