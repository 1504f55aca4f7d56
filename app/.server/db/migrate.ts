/**
 * Runs migrations/ (the static index) with kysely's Migrator.
 */
import { Migrator, type Kysely, type MigrationProvider, type MigrationResultSet } from "kysely";
import { migrations } from "../../../migrations/index";
import type { Database } from "./schema";

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider });
}

export interface MigrationState {
  applied: string[];
  pending: string[];
}

export async function migrationState(db: Kysely<Database>): Promise<MigrationState> {
  const all = await migrator(db).getMigrations();
  return {
    applied: all.filter((m) => m.executedAt).map((m) => m.name),
    pending: all.filter((m) => !m.executedAt).map((m) => m.name),
  };
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Applies every pending migration; returns the names it applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new MigrationError(
      `migration ${failed?.migrationName ?? "?"} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
