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
import { ValidationError } from "../developers";
import { RegistrationError } from "../registrations";
import { actorOf } from "./accounts";

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

/** Turns a ValidationError into a 400 the page shows; anything else propagates. */
export function validationResponse(err: unknown) {
  if (err instanceof ValidationError) return json({ ok: false as const, error: err.message, fields: err.fields, message: undefined }, { status: 400 });
  if (err instanceof RegistrationError) {
    return json({ ok: false as const, error: err.message, fields: err.field ? { [err.field]: err.message } : {}, message: undefined }, { status: err.status });
  }
  throw err;
}

export function done(message: string) {
  return json({ ok: true as const, message, error: undefined, fields: undefined });
}
