/** The demo `gatehouse start` seeds: service, route, openid-connect on the built-in issuer, application-registration. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../app/.server/bootstrap";
import { ConfigEvents, readConfigVersion } from "../../app/.server/config-version";
import { dbTargets, type TestDb } from "../support/db";

describe.each(dbTargets())("demo seed on $name", (target) => {
  let db: TestDb;
  const events = new ConfigEvents();
  const upstream = { host: "127.0.0.1", port: 8080 };
  beforeAll(async () => {
    db = await target.open();
  });
  afterAll(async () => {
    await db?.close();
  });
  const plugins = () =>
    db.db.selectFrom("plugins").innerJoin("services", "services.id", "plugins.service_id").select(["plugins.name", "plugins.config"]).where("services.name", "=", "demo").orderBy("plugins.name").execute();

  it("adds the plugins to a demo seeded before they existed, once", async () => {
    expect(await seedDemo(db.db, events, upstream)).toBe("created"); // an older start: no issuer, no plugins
    expect(await plugins()).toEqual([]);
    const v = await readConfigVersion(db.db);
    expect(await seedDemo(db.db, events, upstream, { issuer: "http://localhost:3000/oauth2" })).toBe("updated");
    expect(await readConfigVersion(db.db)).toBe(v + 1);
    const p = await plugins();
    expect(p.map((x) => x.name)).toEqual(["application-registration", "openid-connect"]);
    expect(p[0].config).toMatchObject({ display_name: "Demo API", auto_approve: false, show_issuer: true, enable_proxy_with_consumer_credential: false });
    expect(p[1].config).toMatchObject({ issuer: "http://localhost:3000/oauth2", auth_methods: ["bearer", "client_credentials"] });
    expect(await seedDemo(db.db, events, upstream, { issuer: "http://localhost:3000/oauth2" })).toBe("unchanged");
  });

  it("follows PUBLIC_URL and the demo upstream's address, and keeps an admin's deletion", async () => {
    expect(await seedDemo(db.db, events, { host: "127.0.0.1", port: 9090 }, { issuer: "https://portal.example.com/oauth2" })).toBe("updated");
    const p = await plugins();
    expect(p.find((x) => x.name === "openid-connect")!.config.issuer).toBe("https://portal.example.com/oauth2");
    const svc = await db.db.selectFrom("services").select(["id", "port"]).where("name", "=", "demo").executeTakeFirstOrThrow();
    expect(svc.port).toBe(9090);
    // an admin takes the application-registration plugin off: a restart does not put it back
    await db.db.deleteFrom("plugins").where("service_id", "=", svc.id).where("name", "=", "application-registration").execute();
    expect(await seedDemo(db.db, events, { host: "127.0.0.1", port: 9090 }, { issuer: "https://portal.example.com/oauth2" })).toBe("unchanged");
    expect((await plugins()).map((x) => x.name)).toEqual(["openid-connect"]);
    await db.db.deleteFrom("plugins").where("service_id", "=", svc.id).execute();
    await db.db.deleteFrom("routes").where("service_id", "=", svc.id).execute();
    await db.db.deleteFrom("services").where("id", "=", svc.id).execute();
    expect(await seedDemo(db.db, events, upstream, { issuer: "http://localhost:3000/oauth2" })).toBe("deleted-by-admin");
  });
});
