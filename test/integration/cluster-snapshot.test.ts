/**
 * The snapshot the control plane serves to data planes: every field of
 * gateway/contract/snapshot.ts, read consistently with config_version.
 */
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSnapshot, ensureSessionSecret } from "../../app/.server/cluster/snapshot";
import { bumpConfigVersion } from "../../app/.server/config-version";
import { Keyring } from "../../app/.server/crypto";
import { dbTargets, type TestDb } from "../support/db";

describe.each(dbTargets())("snapshot builder on $name", (target) => {
  let db: TestDb;
  const keyring = new Keyring("snapshot-test-secret-snapshot-test-secret");
  const urls = { public: "http://localhost:3000", proxy: "http://localhost:8000", issuer: "http://localhost:3000/oauth2" };
  const ids = { builtin: crypto.randomUUID(), other: crypto.randomUUID(), disabled: crypto.randomUUID(), dev: crypto.randomUUID(), app: crypto.randomUUID(), consumer: crypto.randomUUID(), svc: crypto.randomUUID() };

  beforeAll(async () => {
    db = await target.open();
    const d = db.db;
    await d.insertInto("idp_connections").values([
      { id: ids.builtin, name: "builtin", issuer: urls.issuer, mode: "builtin" },
      { id: ids.other, name: "okta", issuer: "https://okta.example", mode: "manual", application_claim: "cid" },
      { id: ids.disabled, name: "old", issuer: "https://old.example", mode: "manual", enabled: false },
    ]).execute();
    await d.insertInto("services").values({ id: ids.svc, name: "svc", host: "upstream" }).execute();
    await d.insertInto("developers").values({ id: ids.dev, email: "dev@example.com", password_hash: "x" }).execute();
    await d.insertInto("consumers").values({ id: ids.consumer, custom_id: "client-1", type: "application", idp_connection_id: ids.other }).execute();
    await d.insertInto("acls").values({ id: crypto.randomUUID(), consumer_id: ids.consumer, group: ids.svc }).execute();
    await d.insertInto("applications").values({ id: ids.app, developer_id: ids.dev, name: "app", idp_connection_id: ids.other, client_id: "client-1", consumer_id: ids.consumer }).execute();
    await d.insertInto("application_instances").values({ id: crypto.randomUUID(), application_id: ids.app, service_id: ids.svc, status: "approved" }).execute();
    const jwk = (kid: string) => JSON.stringify({ kty: "EC", crv: "P-256", x: kid, y: kid });
    const hour = 3600_000;
    await d.insertInto("signing_keys").values([
      { kid: "next", alg: "ES256", private_jwk_enc: "x", public_jwk: jwk("next"), state: "next" },
      { kid: "active", alg: "ES256", private_jwk_enc: "x", public_jwk: jwk("active"), state: "active" },
      { kid: "retired-live", alg: "ES256", private_jwk_enc: "x", public_jwk: jwk("retired-live"), state: "retired", not_after: new Date(Date.now() + hour) },
      { kid: "retired-dead", alg: "ES256", private_jwk_enc: "x", public_jwk: jwk("retired-dead"), state: "retired", not_after: new Date(Date.now() - hour) },
    ]).execute();
    await d.insertInto("revoked_tokens").values([
      { jti: "live", exp: new Date(Date.now() + hour) },
      { jti: "expired", exp: new Date(Date.now() - hour) },
    ]).execute();
    await bumpConfigVersion(d);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("carries every field the data plane enforces", async () => {
    const s = await buildSnapshot({ db: db.db, keyring, urls });
    const version = (await db.db.selectFrom("config_version").select("version").executeTakeFirstOrThrow()).version;
    expect(s.version).toBe(version);
    expect(s.format_version).toBe(1);
    expect(s.services.map((x) => x.name)).toEqual(["svc"]);
    expect(s.consumers).toEqual([expect.objectContaining({ id: ids.consumer, type: "application", idp_connection: { id: ids.other }, custom_id: "client-1" })]);
    expect(s.acls).toEqual([expect.objectContaining({ consumer: { id: ids.consumer }, group: ids.svc })]);
    expect(s.applications).toEqual([{ id: ids.app, name: "app", client_id: "client-1", consumer_id: ids.consumer, idp_connection_id: ids.other, developer_id: ids.dev }]);
    expect(s.application_instances).toEqual([{ application_id: ids.app, service_id: ids.svc, status: "approved" }]);
    expect(s.idp_connections.map((i) => i.name).sort()).toEqual(["builtin", "okta"]);
    expect(s.idp_connections.find((i) => i.name === "okta")?.application_claim).toBe("cid");
    expect(s.builtin_issuer?.issuer).toBe(urls.issuer);
    expect(s.builtin_issuer?.jwks.keys.map((k) => k.kid).sort()).toEqual(["active", "next", "retired-live"]);
    expect(s.revoked_tokens.map((t) => t.jti)).toEqual(["live"]);
    expect(s.session_secret.length).toBeGreaterThanOrEqual(32);
  });

  it("generates the session secret once and stores it encrypted", async () => {
    const a = await ensureSessionSecret({ db: db.db, keyring });
    const b = await ensureSessionSecret({ db: db.db, keyring });
    expect(a).toBe(b);
    const row = await db.db.selectFrom("settings").select("value").where("key", "=", "gateway.session_secret").executeTakeFirstOrThrow();
    expect(JSON.stringify(row.value)).not.toContain(a);
  });
});
