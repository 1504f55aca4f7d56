/**
 * Initial access tokens for dynamic client registration (RFC 7591 3): minted by an
 * admin (the /admin console, the Admin API) and stored as SHA-256 hashes.
 */
import type { Kysely, Transaction } from "kysely";
import { sql } from "kysely";
import { randomToken, sha256 } from "../crypto";
import type { Database } from "../db/schema";

export interface InitialAccessTokenOptions {
  /** Seconds until it expires (default: never). */
  expiresIn?: number;
  /** How many registrations it allows (default: unlimited). */
  uses?: number;
  description?: string;
}

export class InitialAccessTokens {
  constructor(private readonly db: Kysely<Database>) {}

  /** Mints a token; the plaintext is returned this once. */
  async create(opts: InitialAccessTokenOptions = {}, trx?: Transaction<Database>): Promise<string> {
    if (opts.expiresIn !== undefined && (!Number.isFinite(opts.expiresIn) || opts.expiresIn <= 0)) {
      throw new RangeError("expiresIn: expected a positive number of seconds");
    }
    if (opts.uses !== undefined && (!Number.isInteger(opts.uses) || opts.uses <= 0)) throw new RangeError("uses: expected a positive whole number");
    const token = randomToken(32);
    await (trx ?? this.db)
      .insertInto("initial_access_tokens")
      .values({
        id: crypto.randomUUID(),
        token_hash: sha256(token),
        description: opts.description ?? null,
        expires_at: opts.expiresIn ? new Date(Date.now() + opts.expiresIn * 1000) : null,
        uses_remaining: opts.uses ?? null,
      })
      .execute();
    return token;
  }

  /**
   * Spends one use of a presented token inside `trx`; false when it is unknown,
   * expired or used up. (Looked up by hash: the hash is the index key, so there
   * is no comparison to time.)
   */
  async consume(presented: string, trx: Transaction<Database>): Promise<boolean> {
    if (!presented || presented.length > 200) return false;
    const r = await trx
      .updateTable("initial_access_tokens")
      .set({ uses_remaining: sql`case when uses_remaining is null then null else uses_remaining - 1 end` })
      .where("token_hash", "=", sha256(presented))
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", new Date())]))
      .where((eb) => eb.or([eb("uses_remaining", "is", null), eb("uses_remaining", ">", 0)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async list(): Promise<{ id: string; description: string | null; expires_at: Date | null; uses_remaining: number | null; created_at: Date }[]> {
    return this.db.selectFrom("initial_access_tokens").select(["id", "description", "expires_at", "uses_remaining", "created_at"]).orderBy("created_at", "desc").execute();
  }

  async delete(id: string, trx?: Transaction<Database>): Promise<boolean> {
    const r = await (trx ?? this.db).deleteFrom("initial_access_tokens").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
