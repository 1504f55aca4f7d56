/** `gatehouse migrate`: applies pending migrations (refused while a control plane holds the embedded database). */
import type { Config } from "../lib/config";
import { withCliDatabase } from "./database";
import { migrateToLatest, migrationState } from "../app/.server/db/migrate";

export async function runMigrate(config: Config, opts: { statusOnly: boolean }): Promise<number> {
  return withCliDatabase(config, async (database) => {
    if (opts.statusOnly) {
      const s = await migrationState(database.db);
      for (const m of s.applied) process.stdout.write(`applied  ${m}\n`);
      for (const m of s.pending) process.stdout.write(`pending  ${m}\n`);
      return 0;
    }
    const applied = await migrateToLatest(database.db);
    process.stdout.write(applied.length ? applied.map((m) => `applied  ${m}\n`).join("") : "nothing to migrate: the database is up to date\n");
    return 0;
  });
}
