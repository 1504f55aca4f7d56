/**
 * The one way an /admin action starts: the signed-in admin with at least the
 * role it needs (checked on the server for every action, whatever the page
 * showed), and the form with a valid CSRF token.
 */
import { json } from "@remix-run/node";
import type { Actor } from "../audit";
import { readForm, requireAdmin } from "../auth/guards";
import type { ControlPlane } from "../context";
import type { Admin, AdminRole } from "../db/schema";
import { actorOf } from "./accounts";
import { errorKind } from "../errors";

export interface AdminAction {
  admin: Admin;
  actor: Actor;
  form: FormData;
}

export async function adminAction(request: Request, cp: ControlPlane, role: AdminRole): Promise<AdminAction> {
  const { viewer, admin } = await requireAdmin(request, cp, role);
  const form = await readForm(request, cp, viewer);
  return { admin, actor: actorOf(admin), form };
}

/** The form string field `name`, trimmed; "" when missing. */
export function field(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v.trim() : "";
}

/**
 * Turns the services' errors into the status the page shows (400, 404, 409);
 * anything else propagates. Matched by name, not instanceof: services on `cp`
 * come from the server's own modules, not the copies Remix bundles.
 */
export function validationResponse(err: unknown) {
  const k = errorKind(err);
  if (!k) throw err;
  const fail = (status: number, fields: Record<string, string>) => json({ ok: false as const, error: k.message ?? "invalid input", fields, message: undefined }, { status });
  const fieldOf = (field?: string) => (field ? { [field]: k.message } : {});
  switch (k.kind) {
    case "validation":
      return fail(400, k.fields);
    case "not_found":
      return fail(404, {});
    case "conflict":
      return fail(409, fieldOf(k.field));
    case "status":
      return fail(k.status === 404 || k.status === 409 ? k.status : 400, fieldOf(k.field));
  }
}

export function done(message: string) {
  return json({ ok: true as const, message, error: undefined, fields: undefined });
}
