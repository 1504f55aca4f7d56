/** `gatehouse migrate`: applies pending migrations (refused while a control plane holds the embedded database). */
import path from "node:path";
import type { Config } from "../lib/config";
import { openDatabase } from "../app/.server/db/index";
import { migrateToLatest, migrationState } from "../app/.server/db/migrate";
import { acquireLock, assertUnlocked } from "../app/.server/lock";

export async function runMigrate(config: Config, opts: { statusOnly: boolean }): Promise<number> {
  const embedded = !config.databaseUrl;
  if (embedded) assertUnlocked(config.dataDir);
  const lock = embedded ? acquireLock(config.dataDir) : undefined;
  try {
    const database = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite") });
    try {
      if (opts.statusOnly) {
        const s = await migrationState(database.db);
        for (const m of s.applied) process.stdout.write(`applied  ${m}\n`);
        for (const m of s.pending) process.stdout.write(`pending  ${m}\n`);
        return 0;
      }
      const applied = await migrateToLatest(database.db);
      process.stdout.write(applied.length ? applied.map((m) => `applied  ${m}\n`).join("") : "nothing to migrate: the database is up to date\n");
      return 0;
    } finally {
      await database.close();
    }
  } finally {
    lock?.release();
  }
}
