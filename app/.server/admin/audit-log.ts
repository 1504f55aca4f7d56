/** Reading the audit log for /admin: newest first, filterable, paged by id. */
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";

export interface AuditFilter {
  /** action prefix, e.g. "developer." or "application_instance.approve" */
  action?: string;
  /** matches the actor's label or id (substring, case-insensitive) */
  actor?: string;
  target_type?: string;
  target_id?: string;
  /** entries with an id below this (the next page) */
  before?: number;
}

export const AUDIT_PAGE = 50;

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => "\\" + c);
}

export async function queryAudit(db: Kysely<Database>, f: AuditFilter) {
  let q = db.selectFrom("audit_log").selectAll();
  if (f.action) q = q.where("action", "like", likeEscape(f.action) + "%");
  if (f.actor) {
    const pat = "%" + likeEscape(f.actor.toLowerCase()) + "%";
    q = q.where((eb) => eb.or([eb(eb.fn("lower", ["actor_label"]), "like", pat), eb("actor_id", "=", f.actor!)]));
  }
  if (f.target_type) q = q.where("target_type", "=", f.target_type);
  if (f.target_id) q = q.where("target_id", "=", f.target_id);
  if (f.before && Number.isSafeInteger(f.before)) q = q.where("id", "<", f.before);
  const rows = await q.orderBy("id", "desc").limit(AUDIT_PAGE + 1).execute();
  return { entries: rows.slice(0, AUDIT_PAGE), next: rows.length > AUDIT_PAGE ? rows[AUDIT_PAGE - 1].id : undefined };
}

/** Parses the filter from a URL's query string; bad values are dropped, never a 500. */
export function auditFilterFrom(url: URL): AuditFilter {
  const s = (k: string) => {
    const v = url.searchParams.get(k)?.trim();
    return v ? v.slice(0, 200) : undefined;
  };
  const before = Number(url.searchParams.get("before"));
  return {
    action: s("action"),
    actor: s("actor"),
    target_type: s("target_type"),
    target_id: s("target_id"),
    before: Number.isSafeInteger(before) && before > 0 ? before : undefined,
  };
}
