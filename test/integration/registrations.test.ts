/**
 * The ACL feed: approveInstance / rejectInstance / revokeInstance / deleteInstance /
 * requestAccess / cancelRegistration / setDeveloperStatus on a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kysely } from "kysely";
import { dbTargets, type TestDb } from "../support/db";
import { ConfigEvents, readConfigVersion } from "../../app/.server/config-version";
import { Keyring } from "../../app/.server/crypto";
import type { Database } from "../../app/.server/db/schema";
import { Emails } from "../../app/.server/email";
import { Templates } from "../../app/.server/templates";
import { createLogger } from "../../lib/log";
import {
  approveInstance,
  cancelRegistration,
  deleteInstance,
  RegistrationError,
  rejectInstance,
  requestAccess,
  revokeInstance,
  setDeveloperStatus,
  type RegistrationsContext,
} from "../../app/.server/registrations";

const ADMIN = { type: "admin" as const, id: "a1", label: "admin@example.com" };

describe.each(dbTargets())("registrations on $name", (target) => {
  let handle: TestDb;
  let db: Kysely<Database>;
  let ctx: RegistrationsContext;
  let connId: string;
  let manualConnId: string;

  beforeAll(async () => {
    handle = await target.open();
    db = handle.db;
    const emails = new Emails(db, new Templates(), { smtpFrom: "x <x@localhost>", log: createLogger({ level: "silent" }), publicUrl: "http://localhost:3000" });
    ctx = { db, configEvents: new ConfigEvents(), keyring: new Keyring("k".repeat(40)), portal: { emails } };
    connId = crypto.randomUUID();
    manualConnId = crypto.randomUUID();
    await db.insertInto("idp_connections").values({ id: connId, name: "built-in", issuer: "http://localhost:3000/oauth2", mode: "builtin", provider: "builtin" }).execute();
    await db.insertInto("idp_connections").values({ id: manualConnId, name: "okta", issuer: "https://okta.example.com", mode: "manual", provider: "okta" }).execute();
  });
  afterAll(async () => {
    await handle?.close();
  });

  async function service(name: string, config: Record<string, unknown> | null): Promise<string> {
    const id = crypto.randomUUID();
    await db.insertInto("services").values({ id, name, host: "127.0.0.1" }).execute();
    if (config) await db.insertInto("plugins").values({ id: crypto.randomUUID(), name: "application-registration", service_id: id, config: JSON.stringify(config) }).execute();
    return id;
  }
  async function developer(email: string): Promise<string> {
    const id = crypto.randomUUID();
    await db.insertInto("developers").values({ id, email, full_name: "Dev " + email, password_hash: "x", status: "approved" }).execute();
    return id;
  }
  async function application(devId: string, name: string, opts: { conn?: string; clientId?: string } = {}): Promise<{ id: string; consumer: string }> {
    const id = crypto.randomUUID();
    const consumer = crypto.randomUUID();
    const clientId = opts.clientId ?? "client-" + id.slice(0, 8);
    await db.insertInto("consumers").values({ id: consumer, custom_id: clientId, type: "application", idp_connection_id: opts.conn ?? connId }).execute();
    await db.insertInto("applications").values({ id, developer_id: devId, name, idp_connection_id: opts.conn ?? connId, client_id: clientId, consumer_id: consumer }).execute();
    return { id, consumer };
  }
  const groups = async (consumer: string) =>
    (await db.selectFrom("acls").select("group").where("consumer_id", "=", consumer).execute()).map((r) => r.group).sort();

  it("request -> pending; approve adds ACL group = service id, bumps config_version, audits and emails", async () => {
    const svc = await service("orders", { display_name: "Orders API", auto_approve: false });
    const dev = await developer("ada@example.com");
    const app = await application(dev, "app1");
    const inst = await requestAccess(ctx, app.id, svc, { type: "developer", id: dev }, { developerId: dev });
    expect(inst.status).toBe("pending");
    expect(await groups(app.consumer)).toEqual([]);
    await expect(requestAccess(ctx, app.id, svc, { type: "developer", id: dev }, { developerId: dev })).rejects.toMatchObject({ status: 409 });

    const before = await readConfigVersion(db);
    const approved = await approveInstance(ctx, inst.id, ADMIN, { reason: "welcome aboard" });
    expect(approved.status).toBe("approved");
    expect(approved.decided_by).toBe("admin:admin@example.com");
    expect(await groups(app.consumer)).toEqual([svc]);
    expect(await readConfigVersion(db)).toBe(before + 1);
    expect(ctx.configEvents.version).toBe(before + 1);
    const auditRow = await db.selectFrom("audit_log").selectAll().where("target_id", "=", inst.id).where("action", "=", "application_instance.approve").executeTakeFirstOrThrow();
    expect(auditRow.actor_label).toBe("admin@example.com");
    const mail = await db.selectFrom("email_outbox").selectAll().where("template", "=", "registration-approved").where("to_address", "=", "ada@example.com").executeTakeFirstOrThrow();
    expect(mail.status).toBe("kept");
    expect(mail.subject).toBe("app1 may now call Orders API");
    expect(mail.text_body).toContain("welcome aboard");

    await revokeInstance(ctx, inst.id, ADMIN, { reason: "abuse" });
    expect(await groups(app.consumer)).toEqual([]);
    expect(await readConfigVersion(db)).toBe(before + 2);
    // asking again after a revocation re-opens it as pending
    const again = await requestAccess(ctx, app.id, svc, { type: "developer", id: dev }, { developerId: dev });
    expect(again.id).toBe(inst.id);
    expect(again.status).toBe("pending");
    await approveInstance(ctx, inst.id, ADMIN);
    await rejectInstance(ctx, inst.id, ADMIN);
    expect(await groups(app.consumer)).toEqual([]);
    await approveInstance(ctx, inst.id, ADMIN);
    await deleteInstance(ctx, inst.id, ADMIN);
    expect(await groups(app.consumer)).toEqual([]);
    expect(await db.selectFrom("application_instances").select("id").where("id", "=", inst.id).executeTakeFirst()).toBeUndefined();
  });

  it("auto_approve approves at once, except a manual application without proof of possession", async () => {
    const svc = await service("auto", { auto_approve: true });
    const dev = await developer("auto@example.com");
    const app = await application(dev, "auto-app");
    const inst = await requestAccess(ctx, app.id, svc, { type: "developer", id: dev });
    expect(inst.status).toBe("approved");
    expect(inst.decided_by).toBe("system");
    expect(await groups(app.consumer)).toEqual([svc]);

    const manual = await application(dev, "manual-app", { conn: manualConnId, clientId: "0oa-pasted" });
    const waiting = await requestAccess(ctx, manual.id, svc, { type: "developer", id: dev });
    expect(waiting.status).toBe("pending");
    expect(await groups(manual.consumer)).toEqual([]);
    await cancelRegistration(ctx, manual.id, waiting.id, { type: "developer", id: dev }, { developerId: dev });
    await db.updateTable("applications").set({ proof_of_possession_at: new Date() }).where("id", "=", manual.id).execute();
    const proven = await requestAccess(ctx, manual.id, svc, { type: "developer", id: dev });
    expect(proven.status).toBe("approved");
  });

  it("refuses services outside the catalog and other developers' applications", async () => {
    const plain = await service("not-in-catalog", null);
    const dev = await developer("eve@example.com");
    const other = await developer("bob@example.com");
    const app = await application(dev, "eve-app");
    await expect(requestAccess(ctx, app.id, plain, { type: "developer", id: dev })).rejects.toMatchObject({ status: 404, field: "service_id" });
    await expect(requestAccess(ctx, app.id, "nope", { type: "developer", id: dev })).rejects.toBeInstanceOf(RegistrationError);
    const svc = await service("svc-x", {});
    await expect(requestAccess(ctx, app.id, svc, { type: "developer", id: other }, { developerId: other })).rejects.toMatchObject({ status: 404 });
    await expect(approveInstance(ctx, crypto.randomUUID(), ADMIN)).rejects.toMatchObject({ status: 404 });
  });

  it("revoking a developer removes every ACL of their applications; deleting removes consumers and queues client deletion", async () => {
    const s1 = await service("s1", { auto_approve: true });
    const s2 = await service("s2", { auto_approve: true });
    const dev = await developer("carol@example.com");
    const a = await application(dev, "a");
    const b = await application(dev, "b");
    for (const app of [a, b]) for (const s of [s1, s2]) await requestAccess(ctx, app.id, s, ADMIN);
    expect(await groups(a.consumer)).toEqual([s1, s2].sort());
    const before = await readConfigVersion(db);
    const revoked = await setDeveloperStatus(ctx, dev, "revoke", ADMIN, { reason: "terms" });
    expect(revoked?.status).toBe("revoked");
    expect(await readConfigVersion(db)).toBe(before + 1);
    expect(await groups(a.consumer)).toEqual([]);
    expect(await groups(b.consumer)).toEqual([]);
    const statuses = await db.selectFrom("application_instances").select("status").where("application_id", "in", [a.id, b.id]).execute();
    expect(statuses.every((s) => s.status === "revoked")).toBe(true);
    expect(await db.selectFrom("email_outbox").select("id").where("template", "=", "developer-revoked").where("to_address", "=", "carol@example.com").executeTakeFirst()).toBeDefined();

    await setDeveloperStatus(ctx, dev, "approved", ADMIN);
    await setDeveloperStatus(ctx, dev, "delete", ADMIN);
    expect(await db.selectFrom("developers").select("id").where("id", "=", dev).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom("consumers").select("id").where("id", "in", [a.consumer, b.consumer]).execute()).toEqual([]);
    const calls = await db.selectFrom("idp_outbox").selectAll().where("application_id", "in", [a.id, b.id]).execute();
    expect(calls.map((c) => c.action)).toEqual(["delete_client", "delete_client"]);
    await expect(setDeveloperStatus(ctx, dev, "approve", ADMIN)).rejects.toMatchObject({ status: 404 });
    await expect(setDeveloperStatus(ctx, crypto.randomUUID(), "bogus" as never, ADMIN)).rejects.toMatchObject({ status: 400 });
  });
});
