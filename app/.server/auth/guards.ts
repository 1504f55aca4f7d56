/**
 * Route guards for Remix loaders and actions: who is signed in, CSRF checks.
 */
import { redirect } from "@remix-run/node";
import type { ControlPlane } from "../context";
import type { Admin, AdminRole, Developer } from "../db/schema";
import type { Viewer } from "./sessions";

export async function getViewer(request: Request, cp: ControlPlane): Promise<Viewer | null> {
  return cp.sessions.viewer(request);
}

function loginRedirect(request: Request, to: string): Response {
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  return redirect(`${to}?redirectTo=${encodeURIComponent(back)}`);
}

/** The signed-in developer, or a redirect to /login that comes back here. */
export async function requireDeveloper(request: Request, cp: ControlPlane): Promise<{ viewer: Viewer; developer: Developer }> {
  const viewer = await cp.sessions.viewer(request);
  if (!viewer?.developer) throw loginRedirect(request, "/login");
  if (viewer.developer.status !== "approved") {
    throw redirect("/login?status=" + viewer.developer.status, { headers: { "set-cookie": await cp.sessions.destroy(request) } });
  }
  return { viewer, developer: viewer.developer };
}

const ROLE_RANK: Record<AdminRole, number> = { "read-only": 0, admin: 1, "super-admin": 2 };

/** The signed-in admin with at least `role`, or a redirect to /admin/login (403 when the role is too low). */
export async function requireAdmin(
  request: Request,
  cp: ControlPlane,
  role: AdminRole = "read-only",
): Promise<{ viewer: Viewer; admin: Admin }> {
  const viewer = await cp.sessions.viewer(request);
  if (!viewer?.admin) throw loginRedirect(request, "/admin/login");
  if (ROLE_RANK[viewer.admin.role] < ROLE_RANK[role]) {
    throw new Response(`This needs the ${role} role; you are ${viewer.admin.role}.`, { status: 403 });
  }
  return { viewer, admin: viewer.admin };
}

/** Reads a form and checks its CSRF token; a missing or wrong token is a 403. */
export async function readForm(request: Request, cp: ControlPlane, viewer?: Viewer | null): Promise<FormData> {
  const form = await request.formData();
  try {
    await cp.sessions.verifyCsrf(request, form.get("_csrf"), viewer);
  } catch (err) {
    throw new Response((err as Error).message, { status: 403 });
  }
  return form;
}
