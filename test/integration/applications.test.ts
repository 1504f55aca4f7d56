/**
 * Applications on the built-in issuer: the client is created through
 * cp.issuer.clients after the commit, its secret shown once, rotation keeps the
 * old secret valid for the grace period; developers only see their own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { composeControlPlane, insertDeveloper, type ComposedControlPlane } from "../support/portal-cp";
import type { Developer } from "../../app/.server/db/schema";
import { checkSecret } from "../../app/.server/issuer/clients";

describe.each(dbTargets())("builtin applications on $name", (target) => {
  let h: ComposedControlPlane;
  let ada: Developer;
  let bob: Developer;
  const actor = (d: Developer) => ({ type: "developer" as const, id: d.id, label: d.email });

  beforeAll(async () => {
    h = await composeControlPlane(target);
    ada = await insertDeveloper(h.cp, "ada@example.com");
    bob = await insertDeveloper(h.cp, "bob@example.com");
  });
  afterAll(async () => {
    await h?.stop();
  });

  it("creates a client at the built-in issuer; the secret is shown once and works", async () => {
    const before = h.cp.configEvents.version;
    const { application, client_secret } = await h.cp.portal.applications.create(ada, { name: "Ada's app", description: "d" }, actor(ada));
    expect(application.idp_connection.mode).toBe("builtin");
    expect(application.client_status).toBe("active");
    expect(application.rotation_supported).toBe(true);
    const clientId = application.client_id!;
    expect(client_secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const rec = await h.cp.issuer.clients.record(clientId);
    expect(rec?.client_name).toBe("Ada's app");
    expect(rec?.application_id).toBe(application.id);
    expect(checkSecret(rec!, client_secret!)).toBe(true);
    expect((await h.cp.portal.applications.get(ada.id, application.id)).client_secret_pending).toBe(false);
    expect(await h.cp.portal.applications.takeSecret(ada.id, application.id)).toBeUndefined();
    // the secret is not kept anywhere in clear text
    const row = await h.cp.db.selectFrom("applications").selectAll().where("id", "=", application.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(client_secret);
    const consumer = await h.cp.db.selectFrom("consumers").selectAll().where("id", "=", application.consumer_id!).executeTakeFirstOrThrow();
    expect(consumer.custom_id).toBe(clientId);
    expect(h.cp.configEvents.version).toBeGreaterThan(before);

    const rotated = await h.cp.portal.applications.rotateSecret(ada.id, application.id, actor(ada));
    expect(rotated.client_secret).not.toBe(client_secret);
    const rec2 = await h.cp.issuer.clients.record(clientId);
    expect(checkSecret(rec2!, rotated.client_secret)).toBe(true);
    expect(checkSecret(rec2!, client_secret!)).toBe(true); // grace period

    await h.cp.portal.applications.update(ada.id, application.id, { name: "Ada's app 2", redirect_uris: "https://ada.example.com/cb" }, actor(ada));
    await h.cp.portal.outbox.runFor(application.id);
    const rec3 = await h.cp.issuer.clients.record(clientId);
    expect(rec3?.client_name).toBe("Ada's app 2");
    expect(rec3?.redirect_uris).toEqual(["https://ada.example.com/cb"]);
    expect(rec3?.grant_types).toContain("authorization_code");

    await h.cp.portal.applications.delete(ada.id, application.id, actor(ada));
    await h.cp.portal.outbox.runDue();
    expect(await h.cp.issuer.clients.record(clientId)).toBeUndefined();
  });

  it("a create retried after the issuer already made the client reuses it (no orphan)", async () => {
    const { application } = await h.cp.portal.applications.create(ada, { name: "crash-safe" }, actor(ada));
    const clientId = application.client_id!;
    // as if the process stopped after the issuer created the client, before the portal stored it
    await h.cp.db.updateTable("applications").set({ client_id: null, client_status: "pending" }).where("id", "=", application.id).execute();
    await h.cp.db.insertInto("idp_outbox").values({ application_id: application.id, idp_connection_id: application.idp_connection_id, action: "create_client" }).execute();
    await h.cp.portal.outbox.runFor(application.id);
    const again = await h.cp.portal.applications.get(ada.id, application.id);
    expect(again.client_id).toBe(clientId);
    const secret = await h.cp.portal.applications.takeSecret(ada.id, application.id);
    expect(checkSecret((await h.cp.issuer.clients.record(clientId))!, secret!)).toBe(true);
    const all = await h.cp.db.selectFrom("oauth_clients").select("client_id").where("application_id", "=", application.id).execute();
    expect(all).toHaveLength(1);
  });

  it("one developer cannot read or change another's applications", async () => {
    const { application } = await h.cp.portal.applications.create(ada, { name: "private" }, actor(ada));
    const apps = h.cp.portal.applications;
    await expect(apps.get(bob.id, application.id)).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(apps.update(bob.id, application.id, { name: "pwned" }, actor(bob))).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(apps.delete(bob.id, application.id, actor(bob))).rejects.toMatchObject({ name: "NotFoundError" });
    await expect(apps.rotateSecret(bob.id, application.id, actor(bob))).rejects.toMatchObject({ name: "NotFoundError" });
    expect(await apps.list(bob.id)).toEqual([]);
    expect((await apps.get(ada.id, application.id)).name).toBe("private");
  });

  it("validates input with field names", async () => {
    const apps = h.cp.portal.applications;
    await expect(apps.create(ada, { name: "" }, actor(ada))).rejects.toMatchObject({ fields: { name: expect.any(String) } });
    await expect(apps.create(ada, { name: "x", redirect_uris: ["javascript:alert(1)"] }, actor(ada))).rejects.toMatchObject({ fields: { redirect_uris: expect.any(String) } });
    await expect(apps.create(ada, { name: "x", idp_connection_id: "nope" }, actor(ada))).rejects.toMatchObject({ fields: { idp_connection_id: expect.any(String) } });
    await apps.create(ada, { name: "dup" }, actor(ada));
    await expect(apps.create(ada, { name: "dup" }, actor(ada))).rejects.toMatchObject({ field: "name" });
  });
});
