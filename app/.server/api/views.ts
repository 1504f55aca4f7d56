/** Read models shared by the JSON API and the pages. */
import type { ControlPlane } from "../context";
import { serviceDisplayName } from "../registrations";

export interface RegistrationView {
  id: string;
  application_id: string;
  service_id: string;
  service: { id: string; name: string | null; display_name: string };
  status: "pending" | "approved" | "rejected" | "revoked";
  reason: string | null;
  decided_at: number | null;
  created_at: number;
  updated_at: number;
}

export async function registrationsOf(cp: ControlPlane, applicationId: string): Promise<RegistrationView[]> {
  const rows = await cp.db
    .selectFrom("application_instances as i")
    .innerJoin("services as s", "s.id", "i.service_id")
    .select(["i.id", "i.application_id", "i.service_id", "i.status", "i.reason", "i.decided_at", "i.created_at", "i.updated_at", "s.name"])
    .where("i.application_id", "=", applicationId)
    .orderBy("i.created_at")
    .execute();
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      application_id: r.application_id,
      service_id: r.service_id,
      service: { id: r.service_id, name: r.name, display_name: await serviceDisplayName(cp.db, r.service_id, r.name) },
      status: r.status,
      reason: r.reason,
      decided_at: r.decided_at ? Math.floor(r.decided_at.getTime() / 1000) : null,
      created_at: Math.floor(r.created_at.getTime() / 1000),
      updated_at: Math.floor(r.updated_at.getTime() / 1000),
    })),
  );
}

export function developerView(d: { id: string; email: string; full_name: string; status: string; meta: Record<string, unknown>; created_at: Date }) {
  return { id: d.id, email: d.email, full_name: d.full_name, status: d.status, meta: d.meta, created_at: Math.floor(d.created_at.getTime() / 1000) };
}
