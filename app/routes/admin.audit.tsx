import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { When } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { auditFilterFrom, queryAudit } from "~/.server/admin/audit-log";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const url = new URL(request.url);
  const filter = auditFilterFrom(url);
  const { entries, next } = await queryAudit(cp.db, filter);
  let nextHref: string | undefined;
  if (next) {
    const u = new URLSearchParams(url.searchParams);
    u.set("before", String(next));
    nextHref = `/admin/audit?${u}`;
  }
  return json({ entries, filter, nextHref });
}

export default function AdminAudit() {
  const { entries, filter, nextHref } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>Audit log</h1>
      <p>Who did what to what, and when. Newest first; entries are never changed or deleted.</p>
      <Form method="get" className="filters">
        <label>
          Action starts with
          <input name="action" defaultValue={filter.action ?? ""} placeholder="developer." />
        </label>
        <label>
          Actor
          <input name="actor" defaultValue={filter.actor ?? ""} />
        </label>
        <label>
          Target type
          <input name="target_type" defaultValue={filter.target_type ?? ""} />
        </label>
        <label>
          Target id
          <input name="target_id" defaultValue={filter.target_id ?? ""} />
        </label>
        <button type="submit">Filter</button>
      </Form>
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Did</th>
            <th>To what</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} data-action={e.action}>
              <td>
                <When at={e.at} />
              </td>
              <td>
                {e.actor_type}
                {e.actor_label ? `: ${e.actor_label}` : ""}
              </td>
              <td>{e.action}</td>
              <td>
                {e.target_type}
                {e.target_id ? <> <code>{e.target_id}</code></> : null}
              </td>
              <td>
                <code>{JSON.stringify(e.details)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 ? <p>No entries match.</p> : null}
      {nextHref ? <Link to={nextHref}>Older entries</Link> : null}
    </section>
  );
}
