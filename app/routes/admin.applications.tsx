import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { When } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { listApplications } from "~/.server/admin/catalog";
import { SelectFilter } from "~/components/SelectFilter";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const url = new URL(request.url);
  const q = url.searchParams.get("q")?.trim().slice(0, 200) || undefined;
  const idp = url.searchParams.get("idp")?.trim().slice(0, 200) || undefined;
  const [applications, idps] = await Promise.all([
    listApplications(cp.db, { q, idp }),
    cp.db.selectFrom("idp_connections").select("name").orderBy("name").execute(),
  ]);
  return json({ applications, idps: idps.map((i) => i.name), q: q ?? "", idp: idp ?? "" });
}

export default function AdminApplications() {
  const { applications, idps, q, idp } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>Applications</h1>
      <Form method="get" className="filters">
        <label>
          Name, developer email or client_id
          <input name="q" defaultValue={q} />
        </label>
        <SelectFilter label="IdP connection" name="idp" value={idp} options={idps} />
        <button type="submit">Filter</button>
      </Form>
      <table>
        <thead>
          <tr>
            <th>Application</th>
            <th>Developer</th>
            <th>IdP / client_id</th>
            <th>Client</th>
            <th>Registrations</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {applications.map((a) => (
            <tr key={a.id} data-application={a.name}>
              <td>{a.name}</td>
              <td>
                {a.developer_email} {a.developer_status !== "approved" ? <span className={`status status-${a.developer_status}`}>{a.developer_status}</span> : null}
              </td>
              <td>
                {a.idp_name} ({a.idp_mode})<br />
                <code>{a.client_id ?? "—"}</code>
              </td>
              <td>
                <span className={`status status-${a.client_status}`}>{a.client_status}</span>
                {a.client_error ? <div className="error">{a.client_error}</div> : null}
              </td>
              <td>
                <Link to={`/admin/registrations?application=${a.id}`}>
                  {`${a.approved} approved / ${a.registrations}`}
                </Link>
              </td>
              <td>
                <When at={a.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {applications.length === 0 ? <p>No applications match.</p> : null}
    </section>
  );
}
