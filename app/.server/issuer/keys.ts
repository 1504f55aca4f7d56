/**
 * The built-in issuer's signing keys (table signing_keys).
 *
 * States: `next` (published in the JWKS, not yet signing), `active` (signs; exactly
 * one), `retired` (published until `not_after`, when every token it signed has
 * expired, then deleted). First boot creates an active key and a next key, so the
 * key a rotation promotes has been in the JWKS since the rotation before.
 *
 * Private keys are stored as JWKs encrypted with the Keyring (AES-256-GCM under
 * GATEHOUSE_SECRET, associated data `signing_keys:<kid>`).
 *
 * Every change of the published set bumps config_version in the same transaction,
 * because the data planes get the public JWKS through their snapshot.
 */
import * as jose from "jose";
import type { Kysely, Transaction } from "kysely";
import { sql } from "kysely";
import { bumpConfigVersion } from "../config-version";
import type { Keyring } from "../crypto";
import { json, type Database, type SigningKey } from "../db/schema";

export type SigningAlg = "ES256" | "RS256";

export interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey | Uint8Array | jose.KeyObject;
}

type Db = Kysely<Database> | Transaction<Database>;

const aad = (kid: string) => `signing_keys:${kid}`;

async function newKeyRow(keyring: Keyring, alg: SigningAlg, state: "next" | "active") {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === "RS256" ? { modulusLength: 2048 } : {}) });
  const pub = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(pub, "sha256");
  const priv = await jose.exportJWK(privateKey);
  return {
    kid,
    alg,
    private_jwk_enc: keyring.encrypt(JSON.stringify({ ...priv, kid, alg }), aad(kid)),
    public_jwk: json({ ...pub, kid, alg, use: "sig" }),
    state,
    activated_at: state === "active" ? new Date() : null,
  } as const;
}

/** The public JWKS of the built-in issuer (next, active and unexpired retired keys), from the database. */
export async function publicJwks(db: Db, now = new Date()): Promise<{ keys: Record<string, unknown>[] }> {
  const rows = await db
    .selectFrom("signing_keys")
    .select(["public_jwk", "state"])
    .where((eb) => eb.or([eb("state", "!=", "retired"), eb("not_after", ">", now)]))
    .orderBy("created_at", "desc")
    .execute();
  const order = { active: 0, next: 1, retired: 2 } as const;
  rows.sort((a, b) => order[a.state] - order[b.state]);
  return { keys: rows.map((r) => r.public_jwk) };
}

export class Keys {
  #active: ActiveKey | undefined;
  #jwks: { keys: Record<string, unknown>[] } | undefined;
  #verifyKeys = new Map<string, { alg: string; key: CryptoKey | Uint8Array | jose.KeyObject }>();
  #loadedAt = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly keyring: Keyring,
    private readonly opts: { alg: SigningAlg; accessTokenTtl: number },
  ) {}

  /** Creates the first keys when there are none (in one transaction; safe to call on every start). */
  async ensure(): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Serialise concurrent first boots (several control planes on one PostgreSQL).
      await sql`select pg_advisory_xact_lock(4242001)`.execute(trx);
      const active = await trx.selectFrom("signing_keys").select("kid").where("state", "=", "active").executeTakeFirst();
      if (active) return;
      const next = await trx.selectFrom("signing_keys").select("kid").where("state", "=", "next").executeTakeFirst();
      if (next) {
        await trx.updateTable("signing_keys").set({ state: "active", activated_at: new Date() }).where("kid", "=", next.kid).execute();
      } else {
        await trx.insertInto("signing_keys").values(await newKeyRow(this.keyring, this.opts.alg, "active")).execute();
      }
      await trx.insertInto("signing_keys").values(await newKeyRow(this.keyring, this.opts.alg, "next")).execute();
      await bumpConfigVersion(trx);
    });
    await this.load();
  }

  /**
   * Rotates: the next key starts signing, the active key retires (kept until its
   * tokens have expired), a new next key is published, expired retired keys go.
   * Returns the kids involved. Bumps config_version.
   */
  async rotate(trx?: Transaction<Database>): Promise<{ activated: string; retired: string | null; next: string; removed: string[] }> {
    const run = async (t: Transaction<Database>) => {
      await sql`select pg_advisory_xact_lock(4242001)`.execute(t);
      const now = new Date();
      const rows = await t.selectFrom("signing_keys").selectAll().execute();
      const active = rows.find((r) => r.state === "active");
      let next = rows.find((r) => r.state === "next");
      if (!next) {
        const row = await newKeyRow(this.keyring, this.opts.alg, "next");
        await t.insertInto("signing_keys").values(row).execute();
        next = { kid: row.kid } as SigningKey;
      }
      if (active) {
        await t
          .updateTable("signing_keys")
          .set({ state: "retired", retired_at: now, not_after: new Date(now.getTime() + (this.maxTokenTtl() + 60) * 1000) })
          .where("kid", "=", active.kid)
          .execute();
      }
      await t.updateTable("signing_keys").set({ state: "active", activated_at: now }).where("kid", "=", next.kid).execute();
      const fresh = await newKeyRow(this.keyring, this.opts.alg, "next");
      await t.insertInto("signing_keys").values(fresh).execute();
      const removed = await t
        .deleteFrom("signing_keys")
        .where("state", "=", "retired")
        .where("not_after", "<=", now)
        .returning("kid")
        .execute();
      await bumpConfigVersion(t);
      return { activated: next.kid, retired: active?.kid ?? null, next: fresh.kid, removed: removed.map((r) => r.kid) };
    };
    const result = trx ? await run(trx) : await this.db.transaction().execute(run);
    this.#loadedAt = 0;
    return result;
  }

  /** Longest lifetime of anything a key signs (access tokens; id_tokens share it). */
  maxTokenTtl(): number {
    return Math.max(this.opts.accessTokenTtl, 86_400);
  }

  /** Reads the keys from the database (again every 30 s, so a rotation by another process is seen). */
  async load(): Promise<void> {
    const rows = await this.db.selectFrom("signing_keys").selectAll().execute();
    const active = rows.find((r) => r.state === "active");
    if (!active) throw new Error("the built-in issuer has no active signing key (run the control plane once, or `gatehouse keys rotate`)");
    const now = Date.now();
    const verify = new Map<string, { alg: string; key: CryptoKey | Uint8Array | jose.KeyObject }>();
    for (const r of rows) {
      if (r.state === "retired" && r.not_after && r.not_after.getTime() <= now) continue;
      verify.set(r.kid, { alg: r.alg, key: await jose.importJWK(r.public_jwk as jose.JWK, r.alg) });
    }
    const privateJwk = JSON.parse(this.keyring.decrypt(active.private_jwk_enc, aad(active.kid))) as jose.JWK;
    this.#active = { kid: active.kid, alg: active.alg as SigningAlg, key: await jose.importJWK(privateJwk, active.alg) };
    this.#verifyKeys = verify;
    this.#jwks = await publicJwks(this.db);
    this.#loadedAt = now;
  }

  async #fresh(): Promise<void> {
    if (!this.#active || Date.now() - this.#loadedAt > 30_000) await this.load();
  }

  async active(): Promise<ActiveKey> {
    await this.#fresh();
    return this.#active!;
  }

  async jwks(): Promise<{ keys: Record<string, unknown>[] }> {
    await this.#fresh();
    return this.#jwks!;
  }

  /** Key for verifying one of our own tokens (kid from its header), or undefined. */
  async verifyKey(kid: unknown): Promise<{ alg: string; key: CryptoKey | Uint8Array | jose.KeyObject } | undefined> {
    await this.#fresh();
    return typeof kid === "string" ? this.#verifyKeys.get(kid) : undefined;
  }

  /** Signs a JWT with the active key. */
  async sign(payload: jose.JWTPayload, typ: string): Promise<string> {
    const k = await this.active();
    return new jose.SignJWT(payload).setProtectedHeader({ alg: k.alg, kid: k.kid, typ }).sign(k.key);
  }
}
