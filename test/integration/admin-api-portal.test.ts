/**
 * The Admin API's portal routes: /developers, /applications and
 * /services/{id|name}/application_instances, on a real control plane, with
 * decisions going through the ACL feed. PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestAccess } from "../../app/.server/registrations";
import { hashPassword } from "../../app/.server/passwords";
import { dbTargets } from "../support/db";
import { startTestControlPlane, type TestControlPlane } from "../support/control-plane";

describe.each(dbTargets())("Admin API portal routes on $name", (target) => {
  let cp: TestControlPlane;
  let serviceId: string;
  let appIds: string[] = [];
  let consumerIds: string[] = [];
  let devId: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.admin + path, {
      method,
      headers: { "kong-admin-token": cp.cp.secrets.adminToken, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    cp = await startTestControlPlane({ target });
    const svc = await api("POST", "/services", { name: "billing", url: "http://127.0.0.1:9/" });
    expect(svc.status).toBe(201);
    serviceId = svc.body.id;
    expect((await api("POST", `/services/billing/plugins`, { name: "application-registration", config: { display_name: "Billing" } })).status).toBe(201);
    devId = crypto.randomUUID();
    await cp.cp.db.insertInto("developers").values({ id: devId, email: "ada@example.com", full_name: "Ada", password_hash: await hashPassword("x-password-1"), status: "approved" }).execute();
    const developer = await cp.cp.db.selectFrom("developers").selectAll().where("id", "=", devId).executeTakeFirstOrThrow();
    for (const name of ["one", "two"]) {
      const { application } = await cp.cp.portal.applications.create(developer, { name }, { type: "developer", id: devId, label: developer.email });
      appIds.push(application.id);
      consumerIds.push(application.consumer_id!);
    }
    for (const id of appIds) await requestAccess(cp.cp, id, serviceId, { type: "developer", id: devId });
  });
  afterAll(async () => {
    await cp?.stop();
    appIds = [];
    consumerIds = [];
  });

  const acls = (consumerId: string) => cp.cp.db.selectFrom("acls").select("group").where("consumer_id", "=", consumerId).execute();

  it("serves /idp-connections on the Admin API listener (the built-in one listed, a manual one created, its token never echoed)", async () => {
    const list = await api("GET", "/idp-connections");
    expect(list.status).toBe(200);
    expect(list.body.data.some((c: { mode: string }) => c.mode === "builtin")).toBe(true);
    const created = await api("POST", "/idp-connections", {
      name: "okta-test",
      issuer: "https://okta.example.com/oauth2/default",
      mode: "dcr",
      registration_endpoint: "https://okta.example.com/oauth2/v1/clients",
      initial_access_token: "iat-secret-value-0123456789",
      application_claim: "application_id",
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain("iat-secret-value");
    expect((await api("GET", "/idp-connections/okta-test")).body).toMatchObject({ issuer: "https://okta.example.com/oauth2/default", application_claim: "application_id" });
    expect((await api("POST", "/idp-connections", { name: "bad", mode: "nope" })).status).toBe(400);
    expect((await api("DELETE", "/idp-connections/okta-test")).status).toBe(204);
  });

  it("mints the built-in issuer's initial access tokens: shown once, usable for RFC 7591 registration, revocable", async () => {
    expect((await api("POST", "/issuer/initial_access_tokens", { uses: 0 })).status).toBe(400);
    const created = await api("POST", "/issuer/initial_access_tokens", { description: "ci", expires_in: 600, uses: 2 });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token.length).toBeGreaterThan(20);
    const register = (t: string) =>
      fetch(cp.portal + "/oauth2/register", {
        method: "POST",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
        body: JSON.stringify({ client_name: "dcr-client", grant_types: ["client_credentials"], token_endpoint_auth_method: "client_secret_basic" }),
      });
    expect((await register(token)).status).toBe(201);
    const list = await api("GET", "/issuer/initial_access_tokens");
    const row = list.body.data.find((r: { description: string }) => r.description === "ci");
    expect(row).toMatchObject({ uses_remaining: 1 });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect((await api("DELETE", `/issuer/initial_access_tokens/${row.id}`)).status).toBe(204);
    expect((await register(token)).status).toBe(401);
    expect((await api("DELETE", `/issuer/initial_access_tokens/${row.id}`)).status).toBe(404);
  });

  it("lists and decides application instances by service id or name", async () => {
    const list = await api("GET", "/services/billing/application_instances?status=pending");
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.data[0]).toMatchObject({ status: "pending", service: { id: serviceId } });
    const paged = await api("GET", `/services/${serviceId}/application_instances?size=1`);
    expect(paged.body.data).toHaveLength(1);
    expect(paged.body.next).toMatch(/offset=/);
    const second = await api("GET", paged.body.next);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.data[0].id).not.toBe(paged.body.data[0].id);

    const inst = list.body.data.find((i: { application: { id: string } }) => i.application.id === appIds[0]);
    const v = cp.cp.configEvents.version;
    const ok = await api("PATCH", `/services/billing/application_instances/${inst.id}`, { status: "approved" });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: "approved", decided_by: "admin_api:admin-api" });
    expect(await acls(consumerIds[0])).toEqual([{ group: serviceId }]);
    expect(cp.cp.configEvents.version).toBe(v + 1);

    // Kong's numeric code 3 = revoked, with a reason that reaches the developer
    const revoked = await api("PATCH", `/services/${serviceId}/application_instances/${inst.id}`, { status: 3, reason: "over quota" });
    expect(revoked.body).toMatchObject({ status: "revoked", reason: "over quota" });
    expect(await acls(consumerIds[0])).toEqual([]);
    const mail = await cp.cp.db.selectFrom("email_outbox").select("text_body").where("to_address", "=", "ada@example.com").orderBy("id", "desc").executeTakeFirstOrThrow();
    expect(mail.text_body).toContain("over quota");

    expect((await api("PATCH", `/services/billing/application_instances/${inst.id}`, { status: "banana" })).status).toBe(400);
    expect((await api("PATCH", `/services/billing/application_instances/${inst.id}`, {})).status).toBe(400);
    expect((await api("PATCH", `/services/billing/application_instances/not-an-id`, { status: "approved" })).status).toBe(404);
    expect((await api("GET", `/services/nope/application_instances`)).status).toBe(404);

    expect((await api("PATCH", `/services/billing/application_instances/${inst.id}`, { status: "approved" })).status).toBe(200);
    expect(await acls(consumerIds[0])).toHaveLength(1);
    expect((await api("DELETE", `/services/billing/application_instances/${inst.id}`)).status).toBe(204);
    expect(await acls(consumerIds[0])).toEqual([]);
    expect((await api("GET", `/services/billing/application_instances/${inst.id}`)).status).toBe(404);
  });

  it("lists applications with their developer and IdP connection", async () => {
    const r = await api("GET", "/applications?developer=ada@example.com");
    expect(r.status).toBe(200);
    expect(r.body.data.map((a: { name: string }) => a.name).sort()).toEqual(["one", "two"]);
    expect(r.body.data[0]).toMatchObject({ developer: { id: devId, email: "ada@example.com" }, idp_connection: { name: "built-in" } });
    expect(r.body.data[0].client_id).toBeTruthy();
    const one = await api("GET", `/applications/${appIds[1]}`);
    expect(one.body.consumer).toEqual({ id: consumerIds[1] });
    expect((await api("POST", "/applications", { name: "x" })).status).toBe(405);
  });

  it("approves and revokes developers, which takes their applications off the gateway", async () => {
    const inst = (await api("GET", "/services/billing/application_instances")).body.data.find((i: { application: { id: string } }) => i.application.id === appIds[1]);
    await api("PATCH", `/services/billing/application_instances/${inst.id}`, { status: "approved" });
    expect(await acls(consumerIds[1])).toHaveLength(1);
    const list = await api("GET", "/developers?status=approved");
    expect(list.body.data.map((d: { email: string }) => d.email)).toContain("ada@example.com");
    const revoked = await api("PATCH", `/developers/ada@example.com`, { status: "revoked" });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe("revoked");
    expect(await acls(consumerIds[1])).toEqual([]);
    expect((await api("PATCH", `/developers/${devId}`, { status: "emperor" })).status).toBe(400);
    expect((await api("GET", "/developers?status=emperor")).status).toBe(400);
    expect((await api("DELETE", `/developers/${devId}`)).status).toBe(204);
    expect((await api("GET", `/developers/${devId}`)).status).toBe(404);
    expect(await cp.cp.db.selectFrom("applications").select("id").where("developer_id", "=", devId).execute()).toEqual([]);
  });
});
