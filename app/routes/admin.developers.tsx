import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { ActionButton, Outcome, useCan, When } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { ValidationError } from "~/.server/developers";
import { adminAction, done, field, validationResponse } from "~/.server/admin/guard";
import { DEVELOPER_STATUSES } from "~/components/admin/constants";
import { isDeveloperStatus, listDevelopers } from "~/.server/admin/developers";
import { setDeveloperStatus } from "~/.server/registrations";
import { SelectFilter } from "~/components/SelectFilter";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const url = new URL(request.url);
  const status = url.searchParams.get("status");
  const q = url.searchParams.get("q")?.trim().slice(0, 200) || undefined;
  const developers = await listDevelopers(cp.db, { status: isDeveloperStatus(status) ? status : undefined, q });
  return json({ developers, status: isDeveloperStatus(status) ? status : "", q: q ?? "" });
}

const VERB: Record<string, string> = { approved: "approved", rejected: "rejected", revoked: "revoked", requested: "moved back to requested" };

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "admin");
  const intent = field(form, "intent");
  const id = field(form, "id");
  try {
    if (intent === "status") {
      const status = field(form, "status");
      if (!isDeveloperStatus(status)) return validationResponse(new ValidationError({ status: "status must be one of requested, approved, rejected, revoked" }));
      await setDeveloperStatus(cp, id, status, actor, { reason: field(form, "reason") || null });
      return done(`Developer ${VERB[status] ?? status}.`);
    }
    if (intent === "delete") {
      await setDeveloperStatus(cp, id, "delete", actor, { reason: field(form, "reason") || null });
      return done("Developer deleted, with their applications.");
    }
    return validationResponse(new ValidationError({ intent: `unknown action "${intent}"` }));
  } catch (err) {
    return validationResponse(err);
  }
}

export default function AdminDevelopers() {
  const { developers, status, q } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const canAct = useCan("admin");
  return (
    <section>
      <h1>Developers</h1>
      <Outcome data={result} />
      <Form method="get" className="filters">
        <SelectFilter label="Status" name="status" value={status} options={DEVELOPER_STATUSES} />
        <label>
          Email or name
          <input name="q" defaultValue={q} />
        </label>
        <button type="submit">Filter</button>
      </Form>
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Status</th>
            <th>Apps</th>
            <th>Signed up</th>
            {canAct ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {developers.map((d) => (
            <tr key={d.id} data-developer={d.email}>
              <td>{d.email}</td>
              <td>{d.full_name}</td>
              <td>
                <span className={`status status-${d.status}`}>{d.status}</span>
              </td>
              <td>{d.applications}</td>
              <td>
                <When at={d.created_at} />
              </td>
              {canAct ? (
                <td>
                  {d.status !== "approved" ? (
                    <ActionButton intent="status" fields={{ id: d.id, status: "approved" }}>
                      Approve
                    </ActionButton>
                  ) : null}
                  {d.status === "requested" ? (
                    <ActionButton intent="status" fields={{ id: d.id, status: "rejected" }} reason>
                      Reject
                    </ActionButton>
                  ) : null}
                  {d.status === "approved" ? (
                    <ActionButton intent="status" fields={{ id: d.id, status: "revoked" }} danger reason>
                      Revoke
                    </ActionButton>
                  ) : null}
                  <ActionButton intent="delete" fields={{ id: d.id }} danger confirm={`Delete ${d.email} and all their applications?`}>
                    Delete
                  </ActionButton>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {developers.length === 0 ? <p>No developers match.</p> : null}
    </section>
  );
}
