/**
 * The built-in issuer's part of the data-plane snapshot: its identifier, its
 * public JWKS (next, active and unexpired retired keys) and the revoked access
 * token ids until they expire. Call it inside the snapshot's REPEATABLE READ
 * transaction, so it matches the config_version read there:
 *
 *   const part = await builtinIssuerSnapshot(trx, cp.urls.issuer);
 *   snapshot.builtin_issuer = part.builtin_issuer; snapshot.revoked_tokens = part.revoked_tokens;
 */
import type { Kysely, Transaction } from "kysely";
import type { JsonWebKeySet } from "../../../gateway/contract/snapshot";
import type { Database } from "../db/schema";
import { publicJwks } from "./keys";

export async function builtinIssuerSnapshot(
  db: Kysely<Database> | Transaction<Database>,
  issuer: string,
  now = new Date(),
): Promise<{ builtin_issuer: { issuer: string; jwks: JsonWebKeySet } | null; revoked_tokens: { jti: string; exp: number }[] }> {
  const jwks = await publicJwks(db, now);
  const revoked = await db.selectFrom("revoked_tokens").select(["jti", "exp"]).where("exp", ">", now).orderBy("exp").execute();
  return {
    builtin_issuer: jwks.keys.length ? { issuer, jwks } : null,
    revoked_tokens: revoked.map((r) => ({ jti: r.jti, exp: Math.floor(r.exp.getTime() / 1000) })),
  };
}
