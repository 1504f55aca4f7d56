/** Admin API /idp-connections handler on a real database. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { composeControlPlane, insertDeveloper, type ComposedControlPlane } from "../support/portal-cp";
import { handleIdpConnections } from "../../app/.server/admin-api/idp-connections";

describe.each(dbTargets())("Admin API /idp-connections on $name", (target) => {
  let h: ComposedControlPlane;
  beforeAll(async () => {
    h = await composeControlPlane(target);
  });
  afterAll(async () => {
    await h?.stop();
  });
  const call = (method: string, segments: string[], body?: unknown) => handleIdpConnections(h.cp, { method, segments, body });

  it("lists the built-in issuer from the first start", async () => {
    const r = await call("GET", ["idp-connections"]);
    expect(r?.status).toBe(200);
    const data = (r!.body as { data: Record<string, unknown>[] }).data;
    expect(data).toEqual([expect.objectContaining({ name: "built-in", mode: "builtin", issuer: h.cp.urls.issuer, application_claim: "application_id" })]);
    expect(await call("GET", ["services"])).toBeUndefined();
  });

  it("creates, reads, updates and deletes; the initial access token is write-only and encrypted", async () => {
    const before = h.cp.configEvents.version;
    const r = await call("POST", ["idp-connections"], {
      name: "keycloak",
      issuer: "https://kc.example.com/realms/dev",
      mode: "dcr",
      provider: "keycloak",
      registration_endpoint: "https://kc.example.com/realms/dev/clients-registrations/openid-connect",
      initial_access_token: "iat-secret-value",
    });
    expect(r?.status).toBe(201);
    const created = r!.body as Record<string, unknown>;
    expect(created).toMatchObject({ name: "keycloak", mode: "dcr", provider: "keycloak", application_claim: "azp", has_initial_access_token: true });
    expect(JSON.stringify(created)).not.toContain("iat-secret-value");
    expect(h.cp.configEvents.version).toBeGreaterThan(before);
    const row = await h.cp.db.selectFrom("idp_connections").selectAll().where("name", "=", "keycloak").executeTakeFirstOrThrow();
    expect(row.initial_access_token_enc).not.toContain("iat-secret-value");

    expect((await call("GET", ["idp-connections", "keycloak"]))?.status).toBe(200);
    const patched = await call("PATCH", ["idp-connections", String(created.id)], { application_claim: "client_id", initial_access_token: null });
    expect(patched?.body).toMatchObject({ application_claim: "client_id", has_initial_access_token: false });
    expect((await call("PATCH", ["idp-connections", "keycloak"], { mode: "manual" }))?.status).toBe(400);

    expect((await call("POST", ["idp-connections"], { name: "keycloak", issuer: "https://other.example.com", mode: "manual" }))?.status).toBe(409);
    expect((await call("POST", ["idp-connections"], { name: "kc2", issuer: "https://kc.example.com/realms/dev", mode: "manual" }))?.status).toBe(409);
    expect((await call("DELETE", ["idp-connections", "keycloak"]))?.status).toBe(204);
    expect((await call("GET", ["idp-connections", "keycloak"]))?.status).toBe(404);
  });

  it("answers 400 with field names, never a 500 on bad input", async () => {
    const r = await call("POST", ["idp-connections"], { name: "", issuer: "not a url", mode: "weird", provider: "x", application_claim: "bad claim!" });
    expect(r?.status).toBe(400);
    expect(Object.keys((r!.body as { fields: object }).fields).sort()).toEqual(["application_claim", "issuer", "mode", "name", "provider"]);
    expect((await call("POST", ["idp-connections"], { name: "d", issuer: "https://x.example.com", mode: "dcr" }))?.status).toBe(400);
    expect((await call("POST", ["idp-connections"], { name: "h", issuer: "http://idp.example.com", mode: "manual" }))?.status).toBe(201); // http allowed outside production
    expect((await call("POST", ["idp-connections"], "nope"))?.status).toBe(400);
    expect((await call("PUT", ["idp-connections"]))?.status).toBe(405);
  });

  it("refuses to delete the built-in connection or one in use", async () => {
    expect((await call("DELETE", ["idp-connections", "built-in"]))?.status).toBe(409);
    const manual = (await call("POST", ["idp-connections"], { name: "okta", issuer: "https://okta.example.com", mode: "manual", provider: "okta" }))!.body as { id: string };
    const dev = await insertDeveloper(h.cp, "u@example.com");
    await h.cp.portal.applications.create(dev, { name: "a", idp_connection_id: manual.id, client_id: "0oa1" }, { type: "developer" });
    expect((await call("DELETE", ["idp-connections", "okta"]))?.status).toBe(409);
  });
});
