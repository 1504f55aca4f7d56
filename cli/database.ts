/**
 * The database for CLI commands that write it (`migrate`, `keys rotate`). On the
 * embedded database they refuse while a control plane holds it and hold the pid
 * lock themselves while they work; on PostgreSQL they just connect. The database
 * is always closed and the lock released.
 */
import path from "node:path";
import type { Config } from "../lib/config";
import { openDatabase, type Db } from "../app/.server/db/index";
import { acquireLock, assertUnlocked } from "../app/.server/lock";

export async function withCliDatabase<T>(config: Config, work: (database: Db) => Promise<T>): Promise<T> {
  const embedded = !config.databaseUrl;
  if (embedded) assertUnlocked(config.dataDir);
  const lock = embedded ? acquireLock(config.dataDir) : undefined;
  try {
    const database = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite") });
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  } finally {
    lock?.release();
  }
}
