/**
 * config_version: every write that changes what a data plane enforces bumps it
 * in the same transaction. `changeConfig` runs such a write and, once it has
 * committed, wakes the cluster listener's long-polls.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import { EventEmitter } from "node:events";
import type { Database } from "./db/schema";

export async function bumpConfigVersion(trx: Transaction<Database> | Kysely<Database>): Promise<number> {
  const row = await trx
    .updateTable("config_version")
    .set({ version: sql`version + 1`, updated_at: new Date() })
    .where("id", "=", 1)
    .returning("version")
    .executeTakeFirstOrThrow();
  return row.version;
}

export async function readConfigVersion(db: Kysely<Database> | Transaction<Database>): Promise<number> {
  const row = await db.selectFrom("config_version").select("version").where("id", "=", 1).executeTakeFirstOrThrow();
  return row.version;
}

/** Tells waiters that the config version moved. */
export class ConfigEvents {
  #version = 0;
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(0);
  }
  get version(): number {
    return this.#version;
  }
  /** Records a version seen in the database (after a commit, or by a poll). */
  observe(version: number): void {
    if (version > this.#version) {
      this.#version = version;
      this.#emitter.emit("version", version);
    }
  }
  /** Resolves with the version once it is above `after`, or undefined when `timeoutMs` passes or `signal` aborts. */
  waitFor(after: number, timeoutMs: number, signal?: AbortSignal): Promise<number | undefined> {
    if (this.#version > after) return Promise.resolve(this.#version);
    return new Promise((resolve) => {
      const done = (v: number | undefined) => {
        clearTimeout(timer);
        this.#emitter.off("version", onVersion);
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onVersion = (v: number) => v > after && done(v);
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#emitter.on("version", onVersion);
      signal?.addEventListener("abort", onAbort);
    });
  }
}

/**
 * Runs `fn` in a transaction that also bumps config_version; after the commit,
 * `events` learns the new version. Use it for every write a data plane enforces.
 */
export async function changeConfig<T>(
  db: Kysely<Database>,
  events: ConfigEvents,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  let version = 0;
  const result = await db.transaction().execute(async (trx) => {
    const r = await fn(trx);
    version = await bumpConfigVersion(trx);
    return r;
  });
  events.observe(version);
  return result;
}
