/** Kong-style `size`/`offset` pages over (created_at, id) for the portal's Admin API routes. */
import { sql, type SelectQueryBuilder } from "kysely";
import type { Database } from "../db/schema";
import { decodeOffset, encodeOffset, pageSize, type AdminRequest } from "./http";

export async function page<O extends { id: string; created_at: Date }>(
  req: AdminRequest,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  q: SelectQueryBuilder<Database, any, O>,
  col: { created_at: string; id: string },
): Promise<{ rows: O[]; offset?: string; next: string | null }> {
  const size = pageSize(req.query);
  const after = decodeOffset(req.query.get("offset"));
  // the cursor carries milliseconds (a JS Date); PostgreSQL keeps microseconds: compare and order at the cursor's precision
  const at = sql`date_trunc('milliseconds', ${sql.ref(col.created_at)})`;
  let qq = q;
  if (after) qq = qq.where(sql<boolean>`(${at}, ${sql.ref(col.id)}) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
  const rows = await qq.orderBy(at).orderBy(sql.ref(col.id)).limit(size + 1).execute();
  if (rows.length <= size) return { rows, next: null };
  const last = rows[size - 1];
  const offset = encodeOffset(last.created_at, last.id);
  const u = new URLSearchParams(req.query);
  u.set("offset", offset);
  return { rows: rows.slice(0, size), offset, next: `${req.path}?${u}` };
}


export const ADMIN_API_ACTOR = { type: "admin_api" as const, label: "admin-api" };
