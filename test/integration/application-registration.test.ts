/**
 * application-registration on a real data plane (in process), after the real
 * openid-connect plugin, with two real IdPs (oidc-provider on loopback): IdP A
 * names the application in `application_id` (as Okta), IdP B in `azp` (as
 * Keycloak). Access comes only from stored ACLs; refusals say why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validatePluginConfig } from "../../gateway/contract/plugins";
import type { SnapshotApplication, SnapshotApplicationInstance, SnapshotIdpConnection } from "../../gateway/contract/snapshot";
import type { Acl, Consumer } from "../../gateway/contract/entities";
import { startTestIdp, type TestIdp } from "../support/oidc-provider";
import { startEchoUpstream, startTestGateway, testAcl, testConsumer, testPlugin, testRoute, testService, testSnapshot, type EchoUpstream, type TestGateway } from "../support/gateway";

const SECRET = "client-secret-client-secret-client-secret-0";
const cc = (client_id: string) => ({ client_id, client_secret: SECRET, grant_types: ["client_credentials"], redirect_uris: [], response_types: [] });

async function token(idp: TestIdp, clientId: string): Promise<string> {
  const res = await fetch(`${idp.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${clientId}:${SECRET}`).toString("base64") },
    body: new URLSearchParams({ grant_type: "client_credentials", scope: "read" }),
  });
  const body = (await res.json()) as { access_token: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

function config(name: string, c: Record<string, unknown>) {
  const r = validatePluginConfig(name, c);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

describe("application-registration plugin", () => {
  let idpA: TestIdp;
  let idpB: TestIdp;
  let upstream: EchoUpstream;
  let gw: TestGateway;
  const service = { id: "" };

  beforeAll(async () => {
    [idpA, idpB, upstream] = await Promise.all([
      startTestIdp({
        clients: ["shared-client", "a-only", "pending-client", "rejected-client", "revoked-client", "unregistered", "no-azp", "proxy-client"].map(cc),
        // a groups claim naming the service must never grant access
        extraTokenClaims: (clientId) => ({ application_id: clientId, groups: ["00000000-0000-4000-8000-00000000ffff"] }),
      }),
      startTestIdp({
        clients: ["shared-client", "a-only", "no-azp"].map(cc),
        extraTokenClaims: (clientId) => (clientId === "no-azp" ? {} : { azp: clientId }),
      }),
      startEchoUpstream(),
    ]);
    const svc = testService({ host: upstream.host, port: upstream.port, name: "orders" });
    service.id = svc.id;
    const idps: SnapshotIdpConnection[] = [
      { id: "10000000-0000-4000-8000-00000000000a", name: "idp-a", issuer: idpA.issuer, mode: "manual", application_claim: "application_id" },
      { id: "10000000-0000-4000-8000-00000000000b", name: "idp-b", issuer: idpB.issuer, mode: "manual", application_claim: "azp" },
    ];
    const consumers: Consumer[] = [];
    const acls: Acl[] = [];
    const applications: SnapshotApplication[] = [];
    const instances: SnapshotApplicationInstance[] = [];
    let n = 0;
    const app = (idp: SnapshotIdpConnection, clientId: string, status: SnapshotApplicationInstance["status"] | null, name = clientId) => {
      const consumer = testConsumer({ custom_id: clientId, type: "application", idp_connection: { id: idp.id } });
      consumers.push(consumer);
      const id = `20000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
      applications.push({ id, name, client_id: clientId, consumer_id: consumer.id, idp_connection_id: idp.id, developer_id: "30000000-0000-4000-8000-000000000001" });
      if (status) instances.push({ application_id: id, service_id: svc.id, status });
      if (status === "approved") acls.push(testAcl(consumer, svc.id));
      return id;
    };
    app(idps[0], "shared-client", "approved", "Shop «A»");
    app(idps[0], "a-only", "approved");
    app(idps[0], "pending-client", "pending");
    app(idps[0], "rejected-client", "rejected");
    app(idps[0], "revoked-client", "revoked");
    app(idps[1], "shared-client", "pending", "Shop B");
    app(idps[1], "no-azp", "approved");
    const route = testRoute({ service: { id: svc.id }, paths: ["/orders"] });
    // a proxy consumer (not an application) openid-connect maps by client_id, and a second
    // service with the documented bypass on
    consumers.push(testConsumer({ custom_id: "proxy-client", username: "partner-proxy" }));
    const open = testService({ host: upstream.host, port: upstream.port, name: "open" });
    const openRoute = testRoute({ service: { id: open.id }, paths: ["/open"] });
    const oidcConfig = config("openid-connect", {
      issuer: idpA.issuer,
      issuers_allowed: [idpA.issuer, idpB.issuer],
      auth_methods: ["bearer"],
      consumer_claim: ["client_id"],
      consumer_by: ["custom_id"],
      consumer_optional: true,
    });
    gw = await startTestGateway({
      snapshot: testSnapshot({
        services: [svc, open],
        routes: [route, openRoute],
        plugins: [
          testPlugin({ name: "openid-connect", service: { id: open.id }, config: oidcConfig }),
          testPlugin({
            name: "application-registration",
            service: { id: open.id },
            config: config("application-registration", { display_name: "Open API", enable_proxy_with_consumer_credential: true }),
          }),
          testPlugin({
            name: "openid-connect",
            service: { id: svc.id },
            config: config("openid-connect", {
              issuer: idpA.issuer,
              issuers_allowed: [idpA.issuer, idpB.issuer],
              auth_methods: ["bearer"],
              consumer_claim: ["client_id"],
              consumer_by: ["custom_id"],
              consumer_optional: true,
            }),
          }),
          testPlugin({ name: "application-registration", service: { id: svc.id }, config: config("application-registration", { display_name: "Orders API" }) }),
        ],
        consumers,
        acls,
        applications,
        application_instances: instances,
        idp_connections: idps,
      }),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await Promise.all([idpA?.close(), idpB?.close(), upstream?.stop()]);
  });

  const call = async (tok?: string) => {
    const res = await fetch(`${gw.url}/orders/list`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
    const body = (await res.json()) as { message?: string; reason?: string; headers?: Record<string, string> };
    return { status: res.status, body };
  };

  it("lets an approved application through with its headers", async () => {
    const r = await call(await token(idpA, "shared-client"));
    expect(r.status).toBe(200);
    const h = r.body.headers!;
    expect(h["x-application-name"]).toBe(encodeURIComponent("Shop «A»"));
    expect(h["x-application-id"]).toBe("20000000-0000-4000-8000-000000000001");
    expect(h["x-consumer-custom-id"]).toBe("shared-client");
    expect(h["x-consumer-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("says why it refuses: pending, rejected, revoked, unknown", async () => {
    const pending = await call(await token(idpA, "pending-client"));
    expect(pending.status).toBe(403);
    expect(pending.body.message).toMatch(/^registration pending/);
    expect(pending.body.reason).toBe("registration_pending");
    const rejected = await call(await token(idpA, "rejected-client"));
    expect([rejected.status, rejected.body.reason]).toEqual([403, "registration_rejected"]);
    const revoked = await call(await token(idpA, "revoked-client"));
    expect([revoked.status, revoked.body.reason]).toEqual([403, "registration_revoked"]);
    const unknown = await call(await token(idpA, "unregistered"));
    expect([unknown.status, unknown.body.reason]).toEqual([403, "unknown_application"]);
    expect(unknown.body.message).toContain("application_id=unregistered");
    // the token's groups claim names the service: it does not count
    expect(upstream.seen.some((s) => s.headers.authorization?.includes("unregistered"))).toBe(false);
  });

  it("keeps the same client_id at two IdPs two applications", async () => {
    const b = await call(await token(idpB, "shared-client"));
    expect([b.status, b.body.reason]).toEqual([403, "registration_pending"]);
    expect(b.body.message).toContain('"Shop B"');
  });

  it("refuses a token from IdP B carrying a client_id registered only under IdP A", async () => {
    const r = await call(await token(idpB, "a-only"));
    expect(r.status).toBe(403);
    expect(r.body.reason).toBe("unknown_application");
    expect(r.body.message).toContain(idpB.issuer);
    expect(r.body.message).toContain("azp=a-only");
  });

  it("falls back to the consumer openid-connect mapped, only under the token's issuer", async () => {
    // IdP B's token for no-azp carries no azp: the consumer mapped by client_id (custom_id, issuer B) is used
    const b = await call(await token(idpB, "no-azp"));
    expect(b.status).toBe(200);
    expect(b.body.headers!["x-consumer-custom-id"]).toBe("no-azp");
    // IdP A also has a client no-azp, not registered under A: refused
    const a = await call(await token(idpA, "no-azp"));
    expect([a.status, a.body.reason]).toEqual([403, "unknown_application"]);
  });

  it("lets a mapped proxy consumer through only where enable_proxy_with_consumer_credential is on", async () => {
    const tok = await token(idpA, "proxy-client");
    const refused = await call(tok);
    expect([refused.status, refused.body.reason]).toEqual([403, "unknown_application"]);
    const res = await fetch(`${gw.url}/open/x`, { headers: { authorization: `Bearer ${tok}` } });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers["x-consumer-username"]).toBe("partner-proxy");
    expect(seen.headers["x-application-id"]).toBeUndefined();
    // the bypass is for consumers, not for applications: a pending application stays refused there too
    const pending = await fetch(`${gw.url}/open/x`, { headers: { authorization: `Bearer ${await token(idpA, "pending-client")}` } });
    expect(pending.status).toBe(403);
  });

  it("refuses a request without a token", async () => {
    const r = await call();
    expect(r.status).toBe(401);
  });
});
