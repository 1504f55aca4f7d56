/**
 * Applications on a dcr IdP connection against a real OpenID Provider
 * (oidc-provider with registration and RFC 7592 management on): create, update
 * and delete an application and see its client appear, change and disappear at
 * the IdP; with the IdP down during a delete, the client goes once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";
import { composeControlPlane, insertDeveloper, type ComposedControlPlane } from "../support/portal-cp";
import type { Developer } from "../../app/.server/db/schema";
import { registrationTokenAad } from "../../app/.server/application-rows";

const DEV = { type: "developer" as const, label: "dcr@example.com" };

async function until<T>(fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(dbTargets())("dcr applications on $name", (target) => {
  let idp: TestIdp;
  let h: ComposedControlPlane;
  let dev: Developer;
  let connId: string;

  beforeAll(async () => {
    idp = await startTestIdp();
    h = await composeControlPlane(target);
    dev = await insertDeveloper(h.cp, "dcr@example.com");
    const conn = await h.cp.portal.connections.create(
      { name: "test-idp", issuer: idp.issuer, mode: "dcr", registration_endpoint: `${idp.issuer}/reg`, initial_access_token: "test-initial-access-token", application_claim: "application_id" },
      { type: "admin_api" },
    );
    connId = conn.id;
  });
  afterAll(async () => {
    await h?.stop();
    await idp?.close();
  });

  const idpClient = (clientId: string) => idp.provider.Client.find(clientId);

  it("stores the initial access token encrypted and never shows it", async () => {
    const row = await h.cp.db.selectFrom("idp_connections").selectAll().where("id", "=", connId).executeTakeFirstOrThrow();
    expect(row.initial_access_token_enc).toBeTruthy();
    expect(row.initial_access_token_enc).not.toContain("test-initial-access-token");
    const { viewConnection } = await import("../../app/.server/idp/connections");
    expect(JSON.stringify(viewConnection(row))).not.toContain("test-initial-access-token");
  });

  it("creates, updates and deletes the client at the IdP", async () => {
    const { application, client_secret } = await h.cp.portal.applications.create(
      dev,
      { name: "Billing bot", idp_connection_id: connId, redirect_uris: ["https://app.example.com/cb"] },
      DEV,
    );
    expect(application.client_status).toBe("active");
    expect(application.client_id).toBeTruthy();
    expect(client_secret).toBeTruthy();
    const clientId = application.client_id!;
    const client = await idpClient(clientId);
    expect(client?.clientName).toBe("Billing bot");
    expect(client?.redirectUris).toEqual(["https://app.example.com/cb"]);
    expect(client?.clientSecret).toBe(client_secret);
    // the secret is shown once
    expect(await h.cp.portal.applications.takeSecret(dev.id, application.id)).toBeUndefined();
    // the consumer follows the client_id; the registration access token is stored encrypted
    const consumer = await h.cp.db.selectFrom("consumers").selectAll().where("id", "=", application.consumer_id!).executeTakeFirstOrThrow();
    expect(consumer).toMatchObject({ type: "application", custom_id: clientId, idp_connection_id: connId });
    const row1 = await h.cp.db.selectFrom("applications").selectAll().where("id", "=", application.id).executeTakeFirstOrThrow();
    expect(row1.registration_client_uri).toBe(`${idp.issuer}/reg/${clientId}`);
    const rat1 = h.cp.keyring.decrypt(row1.registration_access_token_enc!, registrationTokenAad(application.id));
    // a real token: the IdP answers RFC 7592 reads with it
    const read = await fetch(row1.registration_client_uri!, { headers: { authorization: `Bearer ${rat1}` } });
    expect(read.status).toBe(200);
    const afterRead = (await read.json()) as { registration_access_token?: string };
    // oidc-provider rotates the token on use: store the new one as the IdP would expect
    if (afterRead.registration_access_token) {
      await h.cp.db
        .updateTable("applications")
        .set({ registration_access_token_enc: h.cp.keyring.encrypt(afterRead.registration_access_token, registrationTokenAad(application.id)) })
        .where("id", "=", application.id)
        .execute();
    }

    // only allow-listed metadata reaches the IdP: a smuggled field is not sent
    await h.cp.portal.applications.update(dev.id, application.id, { name: "Billing bot v2", redirect_uris: ["https://app.example.com/cb2"], jwks_uri: "https://evil.example" } as never, DEV);
    await h.cp.portal.outbox.runFor(application.id);
    const updated = await idpClient(clientId);
    expect(updated?.clientName).toBe("Billing bot v2");
    expect(updated?.redirectUris).toEqual(["https://app.example.com/cb2"]);
    expect(updated?.jwksUri).toBeUndefined();
    const row2 = await h.cp.db.selectFrom("applications").selectAll().where("id", "=", application.id).executeTakeFirstOrThrow();
    expect(row2.client_error).toBeNull();
    // the IdP rotated the registration access token on update: the new one replaced the old
    expect(row2.registration_access_token_enc).not.toBe(row1.registration_access_token_enc);
    expect(h.cp.keyring.decrypt(row2.registration_access_token_enc!, registrationTokenAad(application.id))).not.toBe(rat1);

    // RFC 7592 has no rotation: the portal says so
    await expect(h.cp.portal.applications.rotateSecret(dev.id, application.id, DEV)).rejects.toThrow(/does not support secret rotation/);

    await h.cp.portal.applications.delete(dev.id, application.id, DEV);
    expect(await h.cp.db.selectFrom("consumers").select("id").where("id", "=", application.consumer_id!).executeTakeFirst()).toBeUndefined();
    await until(async () => !(await idpClient(clientId)));
    await until(async () => {
      const call = await h.cp.db.selectFrom("idp_outbox").select("status").where("application_id", "=", application.id).where("action", "=", "delete_client").executeTakeFirstOrThrow();
      return call.status === "done";
    });
  });

  it("with the IdP down during a delete, removes the client once it is back", async () => {
    const { application } = await h.cp.portal.applications.create(dev, { name: "Outage app", idp_connection_id: connId }, DEV);
    const clientId = application.client_id!;
    expect(await idpClient(clientId)).toBeTruthy();

    await idp.stop();
    await h.cp.portal.applications.delete(dev.id, application.id, DEV);
    // the database change committed at once; the IdP call waits in the outbox
    expect(await h.cp.db.selectFrom("applications").select("id").where("id", "=", application.id).executeTakeFirst()).toBeUndefined();
    const failing = await until(async () => {
      const r = await h.cp.db.selectFrom("idp_outbox").selectAll().where("application_id", "=", application.id).where("action", "=", "delete_client").executeTakeFirst();
      return r && r.attempts >= 1 ? r : undefined;
    });
    expect(failing.status).toBe("pending");
    expect(failing.last_error).toMatch(/could not be reached/);
    expect(await idpClient(clientId)).toBeTruthy();

    await idp.start();
    await until(async () => !(await idpClient(clientId)), 30_000);
    const done = await until(async () => {
      const r = await h.cp.db.selectFrom("idp_outbox").selectAll().where("id", "=", failing.id).executeTakeFirstOrThrow();
      return r.status === "done" ? r : undefined;
    });
    expect(done.attempts).toBeGreaterThan(1);
  });

  it("manual mode: registrations wait for an admin until the developer proves possession once", async () => {
    const okta = await startTestIdp({
      initialAccessToken: false,
      clients: [{ client_id: "pasted-client", client_secret: "pasted-secret-0123456789-0123456789", grant_types: ["client_credentials"], redirect_uris: [], response_types: [] }],
    });
    try {
      const conn = await h.cp.portal.connections.create({ name: "okta-like", issuer: okta.issuer, mode: "manual", provider: "okta" }, { type: "admin_api" });
      const { application } = await h.cp.portal.applications.create(dev, { name: "pasted", idp_connection_id: conn.id, client_id: "pasted-client" }, DEV);
      expect(application).toMatchObject({ client_id: "pasted-client", client_status: "active", proof_of_possession: false });
      const svc = crypto.randomUUID();
      await h.cp.db.insertInto("services").values({ id: svc, name: "auto-svc", host: "127.0.0.1" }).execute();
      await h.cp.db.insertInto("plugins").values({ id: crypto.randomUUID(), name: "application-registration", service_id: svc, config: JSON.stringify({ auto_approve: true }) }).execute();
      const { requestAccess, approvePendingAutoApprovals } = await import("../../app/.server/registrations");
      const inst = await requestAccess(h.cp, application.id, svc, DEV, { developerId: dev.id });
      expect(inst.status).toBe("pending"); // a client_id is public: auto_approve does not apply yet

      await expect(h.cp.portal.applications.proveClient(dev.id, application.id, "wrong-secret", DEV)).rejects.toMatchObject({ fields: { client_secret: expect.stringMatching(/invalid_client/) } });
      const proven = await h.cp.portal.applications.proveClient(dev.id, application.id, "pasted-secret-0123456789-0123456789", DEV);
      expect(proven.proof_of_possession).toBe(true);
      expect(await approvePendingAutoApprovals(h.cp, application.id)).toBe(1);
      const after = await h.cp.db.selectFrom("application_instances").select("status").where("id", "=", inst.id).executeTakeFirstOrThrow();
      expect(after.status).toBe("approved");
      const row = await h.cp.db.selectFrom("applications").selectAll().where("id", "=", application.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain("pasted-secret"); // the secret is not kept
    } finally {
      await okta.close();
    }
  });

  it("takes the registration endpoint from the issuer's discovery document when none is given", async () => {
    const other = await startTestIdp();
    try {
      const conn = await h.cp.portal.connections.create({ name: "discovered", issuer: other.issuer, mode: "dcr", initial_access_token: "test-initial-access-token" }, { type: "admin_api" });
      expect(conn.registration_endpoint).toBe(`${other.issuer}/reg`);
      expect(conn.discovery?.token_endpoint).toBe(`${other.issuer}/token`);
      const { application, client_secret } = await h.cp.portal.applications.create(dev, { name: "via discovery", idp_connection_id: conn.id }, DEV);
      expect(client_secret).toBeTruthy();
      expect(await other.provider.Client.find(application.client_id!)).toBeTruthy();
      await h.cp.portal.applications.delete(dev.id, application.id, DEV);
      await h.cp.portal.outbox.runDue();
    } finally {
      await other.close();
    }
  });

  it("refuses a manual client_id twice for the same issuer, and client_id on dcr", async () => {
    const manual = await h.cp.portal.connections.create({ name: "pasted", issuer: "https://okta.example.com", mode: "manual", provider: "okta" }, { type: "admin_api" });
    expect(manual.application_claim).toBe("application_id");
    await h.cp.portal.applications.create(dev, { name: "m1", idp_connection_id: manual.id, client_id: "0oa123" }, DEV);
    await expect(h.cp.portal.applications.create(dev, { name: "m2", idp_connection_id: manual.id, client_id: "0oa123" }, DEV)).rejects.toMatchObject({ field: "client_id" });
    await expect(h.cp.portal.applications.create(dev, { name: "d1", idp_connection_id: connId, client_id: "x" }, DEV)).rejects.toMatchObject({ fields: { client_id: expect.any(String) } });
  });
});
