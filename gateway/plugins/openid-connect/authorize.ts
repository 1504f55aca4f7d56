/**
 * Authorization on verified claims: scopes_required, audience_required,
 * groups_required. Entries are OR; space-separated words inside one entry are
 * AND (Kong's rule). The claim holding the values is named by a path
 * (`scopes_claim: [scp]`, `groups_claim: [realm_access, roles]`); its value may
 * be a space-separated string or an array.
 */
import { insufficientScope, OidcError } from "./errors";
import { claimAt, claimWords } from "./util";

/** True if some entry has all its words among `have`. An empty/absent requirement passes. */
export function satisfies(required: string[] | null | undefined, have: string[]): boolean {
  if (!required || required.length === 0) return true;
  const set = new Set(have);
  return required.some((entry) => {
    const words = entry.split(/\s+/).filter(Boolean);
    return words.length > 0 && words.every((w) => set.has(w));
  });
}

export interface RequiredChecks {
  scopes_required?: string[] | null;
  scopes_claim?: string[] | null;
  audience_required?: string[] | null;
  audience_claim?: string[] | null;
  groups_required?: string[] | null;
  groups_claim?: string[] | null;
}

function check(claims: Record<string, unknown>, required: string[] | null | undefined, path: string[] | null | undefined, fallback: string[], what: string, status: 401 | 403): void {
  if (!required || required.length === 0) return;
  const p = path && path.length ? path : fallback;
  const have = claimWords(claimAt(claims, p));
  if (satisfies(required, have)) return;
  const need = required.map((r) => JSON.stringify(r)).join(" or ");
  const msg = `the token's ${p.join(".")} claim does not satisfy ${what}: needs ${need}${have.length ? "" : ` (the token has no ${p.join(".")} claim)`}`;
  if (status === 403) throw insufficientScope(msg);
  throw new OidcError(401, "invalid_token", msg);
}

/** Throws 403 insufficient_scope (scopes, groups) or 401 invalid_token (audience). */
export function checkRequired(claims: Record<string, unknown>, c: RequiredChecks): void {
  check(claims, c.audience_required, c.audience_claim, ["aud"], "audience_required", 401);
  check(claims, c.scopes_required, c.scopes_claim, ["scope"], "scopes_required", 403);
  check(claims, c.groups_required, c.groups_claim, ["groups"], "groups_required", 403);
}
