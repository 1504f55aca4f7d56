import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { When } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { EMAIL_STATUSES } from "~/components/admin/constants";
import { listEmails } from "~/.server/admin/outbox";
import { SelectFilter } from "~/components/SelectFilter";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const status = new URL(request.url).searchParams.get("status") ?? "";
  const emails = await listEmails(cp.db, { status });
  return json({ emails, status, smtp: Boolean(cp.config.smtpUrl) });
}

export default function AdminOutbox() {
  const { emails, status, smtp } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>Email outbox</h1>
      <p>{smtp ? "Emails are sent through SMTP_URL; failures stay here with their error." : "SMTP_URL is not set: emails are kept here instead of being sent."}</p>
      <Form method="get" className="filters">
        <SelectFilter label="Status" name="status" value={status} options={EMAIL_STATUSES} />
        <button type="submit">Filter</button>
      </Form>
      <table>
        <thead>
          <tr>
            <th>Created</th>
            <th>To</th>
            <th>Subject</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {emails.map((m) => (
            <tr key={m.id} data-email={m.to_address}>
              <td>
                <When at={m.created_at} />
              </td>
              <td>{m.to_address}</td>
              <td>
                <details>
                  <summary>{m.subject}</summary>
                  <pre>{m.text_body}</pre>
                </details>
              </td>
              <td>
                <span className={`status status-${m.status}`}>{m.status}</span>
                {m.last_error ? <div className="error">{m.last_error}</div> : null}
                {m.attempts ? <div>{m.attempts} attempt(s)</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {emails.length === 0 ? <p>No emails.</p> : null}
    </section>
  );
}
