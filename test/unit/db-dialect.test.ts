import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { dbTargets, type TestDb } from "../support/db";
import { migrationState } from "../../app/.server/db/migrate";
import { ping } from "../../app/.server/db/index";

describe.each(dbTargets())("data layer on $name", (target) => {
  let h: TestDb;
  beforeAll(async () => {
    h = await target.open();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("applies every migration", async () => {
    const state = await migrationState(h.db);
    expect(state.pending).toEqual([]);
    expect(state.applied).toContain("0001_initial");
    expect(await ping(h.db)).toBe(true);
  });

  it("reports affected-row counts for insert, update and delete", async () => {
    const ins = await h.db
      .insertInto("settings")
      .values([
        { key: "count.a", value: JSON.stringify(1) },
        { key: "count.b", value: JSON.stringify(2) },
        { key: "count.c", value: JSON.stringify(3) },
      ])
      .executeTakeFirstOrThrow();
    expect(ins.numInsertedOrUpdatedRows).toBe(3n);
    const upd = await h.db
      .updateTable("settings")
      .set({ value: JSON.stringify(0) })
      .where("key", "in", ["count.a", "count.b"])
      .executeTakeFirstOrThrow();
    expect(upd.numUpdatedRows).toBe(2n);
    const none = await h.db.updateTable("settings").set({ value: "0" }).where("key", "=", "nope").executeTakeFirstOrThrow();
    expect(none.numUpdatedRows).toBe(0n);
    const del = await h.db.deleteFrom("settings").where("key", "like", "count.%").executeTakeFirstOrThrow();
    expect(del.numDeletedRows).toBe(3n);
  });

  it("a query issued while a transaction is open does not run inside it", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let outsideDone = false;
    const trx = h.db.transaction().execute(async (tx) => {
      await tx.insertInto("settings").values({ key: "trx.rolled-back", value: "true" }).execute();
      await gate;
      throw new Error("roll back");
    });
    // give the transaction time to start, then issue a query outside it
    await new Promise((r) => setTimeout(r, 20));
    const outside = h.db
      .insertInto("settings")
      .values({ key: "trx.outside", value: "true" })
      .execute()
      .then(() => (outsideDone = true));
    await new Promise((r) => setTimeout(r, 50));
    if (target.name === "pglite") expect(outsideDone).toBe(false); // it waits for the one connection
    release();
    await expect(trx).rejects.toThrow("roll back");
    await outside;
    const keys = (await h.db.selectFrom("settings").select("key").where("key", "like", "trx.%").execute()).map((r) => r.key);
    expect(keys).toEqual(["trx.outside"]);
  });

  it("round-trips jsonb, timestamps and integer counters", async () => {
    const id = crypto.randomUUID();
    await h.db
      .insertInto("services")
      .values({ id, name: "svc-json", host: "example.test", tags: JSON.stringify(["a", "b"]) })
      .execute();
    const row = await h.db.selectFrom("services").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.tags).toEqual(["a", "b"]);
    expect(row.created_at).toBeInstanceOf(Date);
    expect(row.port).toBe(80);
    const v = await h.db.selectFrom("config_version").select("version").executeTakeFirstOrThrow();
    expect(typeof v.version).toBe("number");
    const count = await sql<{ n: number }>`select count(*)::int8 as n from services`.execute(h.db);
    expect(count.rows[0].n).toBe(1);
  });

  it("enforces the constraints the flows rely on", async () => {
    const devId = crypto.randomUUID();
    await h.db.insertInto("developers").values({ id: devId, email: "Dev@Example.com", password_hash: "x" }).execute();
    await expect(
      h.db.insertInto("developers").values({ id: crypto.randomUUID(), email: "dev@example.COM", password_hash: "x" }).execute(),
    ).rejects.toThrow(/unique|duplicate/i);

    const idpA = crypto.randomUUID();
    const idpB = crypto.randomUUID();
    await h.db
      .insertInto("idp_connections")
      .values([
        { id: idpA, name: "a", issuer: "https://a.example", mode: "manual" },
        { id: idpB, name: "b", issuer: "https://b.example", mode: "manual" },
      ])
      .execute();
    const app = (idp: string, name: string) => ({
      id: crypto.randomUUID(),
      developer_id: devId,
      name,
      idp_connection_id: idp,
      client_id: "same-client",
    });
    await h.db.insertInto("applications").values(app(idpA, "one")).execute();
    // the same client_id at another issuer is another application
    await h.db.insertInto("applications").values(app(idpB, "two")).execute();
    await expect(h.db.insertInto("applications").values(app(idpA, "three")).execute()).rejects.toThrow(/unique|duplicate/i);

    // application consumers: custom_id unique per issuer; proxy consumers: globally
    const consumer = (type: "proxy" | "application", idp: string | null) => ({
      id: crypto.randomUUID(),
      custom_id: "cid",
      type,
      idp_connection_id: idp,
    });
    await h.db.insertInto("consumers").values(consumer("application", idpA)).execute();
    await h.db.insertInto("consumers").values(consumer("application", idpB)).execute();
    await h.db.insertInto("consumers").values(consumer("proxy", null)).execute();
    await expect(h.db.insertInto("consumers").values(consumer("application", idpA)).execute()).rejects.toThrow(/unique|duplicate/i);
    await expect(h.db.insertInto("consumers").values(consumer("proxy", null)).execute()).rejects.toThrow(/unique|duplicate/i);

    // one application_instance per application and service
    const svc = crypto.randomUUID();
    await h.db.insertInto("services").values({ id: svc, host: "up.test" }).execute();
    const appRow = await h.db.selectFrom("applications").select("id").where("name", "=", "one").executeTakeFirstOrThrow();
    const inst = () => ({ id: crypto.randomUUID(), application_id: appRow.id, service_id: svc });
    await h.db.insertInto("application_instances").values(inst()).execute();
    await expect(h.db.insertInto("application_instances").values(inst()).execute()).rejects.toThrow(/unique|duplicate/i);

    // one plugin of a name per scope, nulls included
    const plugin = () => ({ id: crypto.randomUUID(), name: "acl", service_id: svc });
    await h.db.insertInto("plugins").values(plugin()).execute();
    await expect(h.db.insertInto("plugins").values(plugin()).execute()).rejects.toThrow(/unique|duplicate/i);
  });

  it("keeps the audit log append-only", async () => {
    await h.db
      .insertInto("audit_log")
      .values({ actor_type: "system", action: "test", target_type: "nothing" })
      .execute();
    await expect(h.db.updateTable("audit_log").set({ action: "changed" }).execute()).rejects.toThrow(/append-only/);
    await expect(h.db.deleteFrom("audit_log").execute()).rejects.toThrow(/append-only/);
  });
});
