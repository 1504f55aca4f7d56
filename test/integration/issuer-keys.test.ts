/**
 * Signing keys of the built-in issuer: generated on first boot and stored
 * encrypted, rotation publishes the next key before it signs, retired keys stay
 * published until their tokens have expired, each change bumps config_version;
 * `gatehouse keys rotate` on the embedded database (refused while a control plane
 * holds it).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeysRotate } from "../../cli/keys";
import { loadConfig } from "../../lib/config";
import { createLogger } from "../../lib/log";
import { readConfigVersion } from "../../app/.server/config-version";
import { openDatabase } from "../../app/.server/db/index";
import { migrateToLatest } from "../../app/.server/db/migrate";
import { LockedError, lockFile } from "../../app/.server/lock";
import { builtinIssuerSnapshot } from "../../app/.server/issuer/snapshot";
import { dbTargets } from "../support/db";
import { startIssuer, type IssuerHarness } from "../support/issuer";

describe.each(dbTargets())("signing keys on $name", (target) => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startIssuer({ target });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const jwks = async () => (await (await fetch(`${h.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  const token = async () => {
    const c = await h.cp.issuer.clients.create({ grant_types: ["client_credentials"] });
    const r = await fetch(`${h.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic " + Buffer.from(`${c.client_id}:${c.client_secret}`).toString("base64") },
      body: "grant_type=client_credentials",
    });
    return ((await r.json()) as { access_token: string }).access_token;
  };

  it("stores private keys encrypted, and rotates next -> active -> retired -> removed", async () => {
    const rows = await h.cp.db.selectFrom("signing_keys").selectAll().execute();
    expect(rows.map((r) => r.state).sort()).toEqual(["active", "next"]);
    for (const r of rows) {
      expect(r.private_jwk_enc).toMatch(/^v1\./);
      expect(r.private_jwk_enc).not.toContain('"d"');
      expect(r.public_jwk).not.toHaveProperty("d");
    }
    const active = rows.find((r) => r.state === "active")!.kid;
    const next = rows.find((r) => r.state === "next")!.kid;
    const before = await token();
    expect(jose.decodeProtectedHeader(before).kid).toBe(active);

    const v0 = await readConfigVersion(h.cp.db);
    const r = await h.cp.issuer.keys.rotate();
    expect(r).toMatchObject({ activated: next, retired: active });
    expect(await readConfigVersion(h.cp.db)).toBe(v0 + 1);

    const after = await token();
    expect(jose.decodeProtectedHeader(after).kid).toBe(next);
    await h.cp.issuer.keys.load();
    const published = (await jwks()).keys.map((k) => k.kid);
    expect(published).toEqual(expect.arrayContaining([active, next, r.next]));
    expect(published).toHaveLength(3);
    // a token signed before the rotation still verifies against the published set
    const set = jose.createLocalJWKSet((await jwks()) as jose.JSONWebKeySet);
    await jose.jwtVerify(before, set, { issuer: h.issuer });
    // its retirement lasts at least as long as its tokens
    const retired = await h.cp.db.selectFrom("signing_keys").selectAll().where("kid", "=", active).executeTakeFirstOrThrow();
    expect(retired.state).toBe("retired");
    expect(retired.not_after!.getTime()).toBeGreaterThan(Date.now() + 900_000);

    // the data planes' snapshot carries the same published set and the unexpired revocations
    await h.cp.issuer.revokeAccessToken("jti-live", new Date(Date.now() + 60_000));
    await h.cp.issuer.revokeAccessToken("jti-gone", new Date(Date.now() - 1000));
    const part = await builtinIssuerSnapshot(h.cp.db, h.issuer);
    expect(part.builtin_issuer?.issuer).toBe(h.issuer);
    expect(part.builtin_issuer?.jwks.keys.map((k) => k.kid).sort()).toEqual([...published].sort());
    expect(part.revoked_tokens.map((r) => r.jti)).toEqual(["jti-live"]);

    // once its tokens have expired, the next rotation removes it
    await h.cp.db.updateTable("signing_keys").set({ not_after: new Date(Date.now() - 1000) }).where("kid", "=", active).execute();
    const r2 = await h.cp.issuer.keys.rotate();
    expect(r2.removed).toEqual([active]);
    expect(r2.activated).toBe(r.next);
  });
});

describe("gatehouse keys rotate", () => {
  it("gatehouse keys rotate works on the embedded database and refuses while a control plane holds it", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-keys-"));
    try {
      const config = loadConfig({ DATA_DIR: dataDir, GATEHOUSE_SECRET: "test-master-secret-test-master-secret-0123", LOG_LEVEL: "silent" });
      const log = createLogger({ level: "silent", format: "pretty", component: "keys" });
      const db = await openDatabase({ pgliteDir: path.join(dataDir, "pglite") });
      await migrateToLatest(db.db);
      await db.close();
      const out: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
      try {
        expect(await runKeysRotate(config, log)).toBe(0);
      } finally {
        process.stdout.write = write;
      }
      expect(out.join("")).toMatch(/signing with {2}\S+/);
      const check = await openDatabase({ pgliteDir: path.join(dataDir, "pglite") });
      const states = (await check.db.selectFrom("signing_keys").select("state").execute()).map((r) => r.state).sort();
      await check.close();
      expect(states).toEqual(["active", "next"]);
      // a live control plane holds the lock (the parent process stands in for it)
      fs.writeFileSync(lockFile(dataDir), String(process.ppid));
      await expect(runKeysRotate(config, log)).rejects.toBeInstanceOf(LockedError);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000); // opens an on-disk PGlite three times
});
