import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { NavLink, Outlet, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import styles from "~/components/admin/admin.css?url";
import { requireAdmin } from "~/.server/auth/guards";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "Admin · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const { viewer, admin } = await requireAdmin(request, cp, "read-only");
  const csrf = await cp.sessions.csrf(request, viewer);
  return json(
    { admin: { id: admin.id, email: admin.email, role: admin.role }, csrf: csrf.token },
    { headers: { "cache-control": "no-store" } },
  );
}

const NAV: [string, string][] = [
  ["/admin", "Overview"],
  ["/admin/developers", "Developers"],
  ["/admin/applications", "Applications"],
  ["/admin/registrations", "Registration requests"],
  ["/admin/services", "Services"],
  ["/admin/idp-connections", "IdP connections"],
  ["/admin/settings", "Portal settings"],
  ["/admin/templates", "Templates"],
  ["/admin/outbox", "Email outbox"],
  ["/admin/audit", "Audit log"],
  ["/admin/admins", "Admins"],
];

export default function AdminLayout() {
  const { admin, csrf } = useLoaderData<typeof loader>();
  return (
    <div className="admin-shell">
      <nav className="admin-nav" aria-label="Admin">
        <p className="who">
          {admin.email}
          <br />
          <span className="status">{admin.role}</span>
        </p>
        <ul>
          {NAV.map(([to, label]) => (
            <li key={to}>
              <NavLink to={to} end={to === "/admin"}>
                {label}
              </NavLink>
            </li>
          ))}
        </ul>
        <form method="post" action="/admin/logout">
          <Csrf token={csrf} />
          <button type="submit">Log out</button>
        </form>
      </nav>
      <div className="admin-main">
        <Outlet />
      </div>
    </div>
  );
}
