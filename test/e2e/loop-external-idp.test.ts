/**
 * The whole loop with external IdPs (oidc-provider on loopback) instead of the
 * built-in issuer: manual mode (the developer pastes a client_id made at the
 * IdP) and dcr mode (the portal registers the client with the IdP's
 * initial access token), each with the application claim named as Okta does
 * (`application_id`) and as Keycloak does (`azp`). Admins add the connections
 * and decide in /admin and through the Admin API; developers use the portal's
 * JSON API; the gateway is a real data plane syncing from the control plane.
 * A token from IdP B carrying a client_id registered under IdP A is refused.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CookieJar, csrfFrom, startTestControlPlane, type TestControlPlane } from "../support/control-plane";
import { startEchoUpstream, startTestGateway, type EchoUpstream, type TestGateway } from "../support/gateway";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";
import { callGateway, clientCredentialsToken, waitForAnswer } from "./loop-support";

const SECRET = "partner-secret-partner-secret-partner-0001";
const cc = (client_id: string) => ({ client_id, client_secret: SECRET, grant_types: ["client_credentials"], redirect_uris: [], response_types: [] });
const okta = (clientId: string) => ({ application_id: clientId });
const keycloak = (clientId: string) => ({ azp: clientId });

interface Case {
  name: string;
  mode: "manual" | "dcr";
  claim: "application_id" | "azp";
  idp?: TestIdp;
  connectionId?: string;
}

describe("the whole loop with external IdPs", () => {
  const cases: Case[] = [
    { name: "okta-manual", mode: "manual", claim: "application_id" },
    { name: "okta-dcr", mode: "dcr", claim: "application_id" },
    { name: "keycloak-manual", mode: "manual", claim: "azp" },
    { name: "keycloak-dcr", mode: "dcr", claim: "azp" },
  ];
  let cp: TestControlPlane;
  let gw: TestGateway;
  let upstream: EchoUpstream;
  let admin: CookieJar;
  let dev: CookieJar;
  let serviceId: string;
  const ordersUrl = () => `${gw.url}/orders/v1/list`;

  const adminApi = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(cp.admin + path, {
      method,
      headers: { "kong-admin-token": cp.cp.secrets.adminToken, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const portal = async (method: string, path: string, body?: unknown) => {
    const res = await dev.fetch(cp.portal + path, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
  };
  const adminForm = async (path: string, fields: Record<string, string>) => {
    const page = await admin.fetch(cp.portal + path);
    return admin.fetch(cp.portal + path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfFrom(await page.text()), ...fields }).toString(),
    });
  };

  beforeAll(async () => {
    const idps = await Promise.all(
      cases.map((c) =>
        startTestIdp({
          // the manual IdPs know the developer's pre-made clients; both know "partner-app"
          clients: c.mode === "manual" ? [cc("partner-app"), cc(`${c.name}-client`)] : [],
          extraTokenClaims: c.claim === "azp" ? keycloak : okta,
        }),
      ),
    );
    cases.forEach((c, i) => (c.idp = idps[i]));
    upstream = await startEchoUpstream();
    cp = await startTestControlPlane();

    // the admin adds the four IdP connections in /admin
    admin = new CookieJar();
    const login = await admin.fetch(`${cp.portal}/admin/login`);
    const ok = await admin.fetch(`${cp.portal}/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfFrom(await login.text()), email: "admin@example.com", password: "admin-password-123" }).toString(),
    });
    expect(ok.status).toBe(302);
    for (const c of cases) {
      const res = await adminForm("/admin/idp-connections", {
        intent: "create",
        name: c.name,
        issuer: c.idp!.issuer,
        mode: c.mode,
        provider: c.claim === "azp" ? "keycloak" : "okta",
        application_claim: c.claim,
        enabled: "on",
        ...(c.mode === "dcr" ? { registration_endpoint: `${c.idp!.issuer}/reg`, initial_access_token: "test-initial-access-token" } : {}),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const row = await cp.cp.db.selectFrom("idp_connections").select(["id", "application_claim"]).where("name", "=", c.name).executeTakeFirstOrThrow();
      expect(row.application_claim).toBe(c.claim);
      c.connectionId = row.id;
    }

    // an API behind openid-connect trusting the four issuers, offered in the catalog
    const svc = await adminApi("POST", "/services", { name: "orders", url: `${upstream.url}/` });
    expect(svc.status).toBe(201);
    serviceId = svc.body.id;
    expect((await adminApi("POST", "/services/orders/routes", { name: "orders", paths: ["/orders"] })).status).toBe(201);
    const oidc = await adminApi("POST", "/services/orders/plugins", {
      name: "openid-connect",
      config: { issuer: cases[0].idp!.issuer, issuers_allowed: cases.map((c) => c.idp!.issuer), auth_methods: ["bearer"] },
    });
    expect(oidc.status, JSON.stringify(oidc.body)).toBe(201);
    expect((await adminApi("POST", "/services/orders/plugins", { name: "application-registration", config: { display_name: "Orders API" } })).status).toBe(201);

    gw = await startTestGateway({ controlPlane: cp.cluster, env: { CLUSTER_TOKEN: cp.cp.secrets.clusterToken }, pollWaitSeconds: 30 });

    dev = new CookieJar();
    expect((await portal("POST", "/api/v1/register", { email: "grace@example.com", password: "a-long-password", full_name: "Grace" })).status).toBe(201);
    expect((await portal("POST", "/api/v1/login", { email: "grace@example.com", password: "a-long-password" })).status).toBe(200);
  });
  afterAll(async () => {
    await gw?.stop();
    await cp?.stop();
    await upstream?.stop();
    await Promise.all(cases.map((c) => c.idp?.close()));
  });

  for (const c of cases) {
    it(`${c.mode} mode, application claim ${c.claim}: pending 403, approved 200 within a second, revoked 403`, async () => {
      const idp = c.idp!;
      const created = await portal("POST", "/api/v1/applications", {
        name: `app-${c.name}`,
        idp_connection_id: c.connectionId,
        ...(c.mode === "manual" ? { client_id: `${c.name}-client` } : {}),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const appId = created.body.id as string;
      const clientId = created.body.client_id as string;
      const secret = c.mode === "manual" ? SECRET : (created.body.client_secret as string);
      if (c.mode === "manual") expect(clientId).toBe(`${c.name}-client`);
      else expect(await idp.provider.Client.find(clientId)).toBeTruthy(); // registered at the IdP by the portal
      expect(secret).toBeTruthy();

      const reg = await portal("POST", `/api/v1/applications/${appId}/registrations`, { service_id: serviceId });
      expect(reg.status, JSON.stringify(reg.body)).toBe(201);
      expect(reg.body.status).toBe("pending");
      const instanceId = reg.body.id as string;

      const token = await clientCredentialsToken(`${idp.issuer}/token`, clientId, secret);
      const claims = decodeJwt(token);
      expect(claims.iss).toBe(idp.issuer);
      expect(claims[c.claim]).toBe(clientId);
      expect(claims[c.claim === "azp" ? "application_id" : "azp"]).toBeUndefined();

      const pending = await waitForAnswer(ordersUrl(), token, (a) => a.body.reason !== "unknown_application");
      expect(pending.answer.status).toBe(403);
      expect(pending.answer.body.message).toMatch(/^registration pending/);

      // approve: in /admin for the manual cases, through the Admin API for the dcr ones
      if (c.mode === "manual") {
        expect((await adminForm("/admin/registrations", { intent: "approve", id: instanceId })).status).toBe(200);
      } else {
        expect((await adminApi("PATCH", `/services/orders/application_instances/${instanceId}`, { status: "approved" })).status).toBe(200);
      }
      const approvedAt = Date.now();
      const approved = await waitForAnswer(ordersUrl(), token, (a) => a.status === 200);
      expect(Date.now() - approvedAt).toBeLessThan(1000);
      expect(approved.answer.body.headers!["x-application-id"]).toBe(appId);
      expect(approved.answer.body.headers!["x-application-name"]).toBe(`app-${c.name}`);
      expect(approved.answer.body.headers!["x-consumer-custom-id"]).toBe(clientId);

      expect((await adminApi("PATCH", `/services/${serviceId}/application_instances/${instanceId}`, { status: "revoked", reason: "rotating partners" })).status).toBe(200);
      const revokedAt = Date.now();
      const revoked = await waitForAnswer(ordersUrl(), token, (a) => a.status === 403);
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      expect(revoked.answer.body.reason).toBe("registration_revoked");
    });
  }

  it("refuses a token from IdP B carrying a client_id registered under IdP A", async () => {
    const [idpA, , idpB] = [cases[0].idp!, cases[1].idp!, cases[2].idp!];
    // "partner-app" is registered in the portal under okta-manual (IdP A) and approved
    const created = await portal("POST", "/api/v1/applications", { name: "partner", idp_connection_id: cases[0].connectionId, client_id: "partner-app" });
    expect(created.status).toBe(201);
    const reg = await portal("POST", `/api/v1/applications/${created.body.id}/registrations`, { service_id: serviceId });
    expect((await adminApi("PATCH", `/services/orders/application_instances/${reg.body.id}`, { status: "approved" })).status).toBe(200);
    const tokenA = await clientCredentialsToken(`${idpA.issuer}/token`, "partner-app", SECRET);
    await waitForAnswer(ordersUrl(), tokenA, (a) => a.status === 200);

    // IdP B (keycloak-manual) also has a client "partner-app"; its token names it in azp
    const tokenB = await clientCredentialsToken(`${idpB.issuer}/token`, "partner-app", SECRET);
    expect(decodeJwt(tokenB).azp).toBe("partner-app");
    const refused = await callGateway(ordersUrl(), tokenB);
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toBe("unknown_application");
    expect(refused.body.message).toContain(idpB.issuer);
    // ... and A's token still passes
    expect((await callGateway(ordersUrl(), tokenA)).status).toBe(200);
  });
});
