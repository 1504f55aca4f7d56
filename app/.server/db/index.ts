/**
 * One function opens the database for either dialect: PostgreSQL through `pg`
 * when a URL is given, else embedded PGlite (a data directory, or in memory).
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import path from "node:path";
import fs from "node:fs";
import { PGliteDialect } from "./pglite-dialect";
import type { Database } from "./schema";

export type Dialect = "postgres" | "pglite";

export interface Db {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where it lives, without credentials: a host/database or a directory. */
  location: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://... ; when unset, PGlite is used. */
  url?: string;
  /** PGlite data directory; unset means in memory. */
  pgliteDir?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

const INT8 = 20;

/** Describes a PostgreSQL URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? ":" + u.port : ""}${u.pathname}`;
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}

export async function openDatabase(options: OpenOptions): Promise<Db> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10);
  return openPGlite(options.pgliteDir);
}

async function openPostgres(url: string, max: number): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // an idle client's error (server restart) must not crash the process
  pool.on("error", () => {});
  const location = redactUrl(url);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new DatabaseUnavailableError(
      `cannot connect to PostgreSQL at ${location}: ${(err as Error).message || (err as { code?: string }).code}`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: "postgres", location, close: () => db.destroy() };
}

async function openPGlite(dir: string | undefined): Promise<Db> {
  const { PGlite } = await import("@electric-sql/pglite");
  let pglite;
  try {
    if (dir) fs.mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
    pglite = await PGlite.create(dir ? path.resolve(dir) : undefined, {
      parsers: { [INT8]: (v: string) => Number(v) },
    });
  } catch (err) {
    throw new DatabaseUnavailableError(
      `cannot open the embedded database at ${dir ?? "memory"}: ${(err as Error).message}`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, dialect: "pglite", location: dir ? path.resolve(dir) : "memory", close: () => db.destroy() };
}

/** True when the database answers a trivial query. */
export async function ping(db: Kysely<Database>, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("timeout")), timeoutMs))),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
