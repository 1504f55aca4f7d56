/**
 * Database targets for tests: PGlite always, PostgreSQL too when TEST_DATABASE_URL
 * is set. Each PostgreSQL target gets a database of its own for the run, dropped
 * afterwards, so nothing depends on what an earlier run left in a shared server.
 */
import crypto from "node:crypto";
import pg from "pg";
import { openDatabase, type Db } from "../../app/.server/db/index";
import { migrateToLatest } from "../../app/.server/db/migrate";

export interface DbTarget {
  name: "pglite" | "postgres";
  /** Opens a fresh, migrated database. */
  open(options?: { migrate?: boolean }): Promise<TestDb>;
}

export interface TestDb extends Db {
  /** The URL of the per-run PostgreSQL database (postgres only). */
  url?: string;
}

async function createPgDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gatehouse_test_${crypto.randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export const pgliteTarget: DbTarget = {
  name: "pglite",
  async open(options = {}) {
    const h = await openDatabase({});
    if (options.migrate !== false) await migrateToLatest(h.db);
    return h;
  },
};

export function postgresTarget(baseUrl: string): DbTarget {
  return {
    name: "postgres",
    async open(options = {}) {
      const created = await createPgDatabase(baseUrl);
      const h = await openDatabase({ url: created.url, poolSize: 5 });
      if (options.migrate !== false) await migrateToLatest(h.db);
      return {
        ...h,
        url: created.url,
        async close() {
          await h.close();
          await created.drop();
        },
      };
    },
  };
}

/** PGlite, plus PostgreSQL when TEST_DATABASE_URL is set. */
export function dbTargets(): DbTarget[] {
  const url = process.env.TEST_DATABASE_URL;
  return url ? [pgliteTarget, postgresTarget(url)] : [pgliteTarget];
}

/** Creates a throwaway PostgreSQL database (for tests that run a whole process on it). */
export async function createTestPostgres(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const url = process.env.TEST_DATABASE_URL;
  return url ? createPgDatabase(url) : undefined;
}
