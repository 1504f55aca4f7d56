import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { INSTANCE_STATUSES } from "~/components/admin/constants";
import { ActionButton, Outcome, useCan, When } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { ValidationError } from "~/.server/developers";
import { listRegistrations } from "~/.server/admin/catalog";
import { adminAction, done, field, validationResponse } from "~/.server/admin/guard";
import { isUuid } from "~/.server/admin/ids";
import { approveInstance, deleteInstance, parseInstanceStatus, rejectInstance, revokeInstance } from "~/.server/registrations";
import { SelectFilter } from "~/components/SelectFilter";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const url = new URL(request.url);
  const status = parseInstanceStatus(url.searchParams.get("status") ?? undefined);
  const service = url.searchParams.get("service");
  const application = url.searchParams.get("application");
  const [registrations, services] = await Promise.all([
    listRegistrations(cp.db, { status, service: isUuid(service) ? service : undefined, application: isUuid(application) ? application : undefined }),
    cp.db.selectFrom("services").select(["id", "name"]).orderBy("name").execute(),
  ]);
  return json({ registrations, services, status: status ?? "", service: isUuid(service) ? service : "" });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "admin");
  const id = field(form, "id");
  const reason = field(form, "reason") || null;
  try {
    switch (field(form, "intent")) {
      case "approve":
        await approveInstance(cp, id, actor, { reason });
        return done("Approved: the gateway lets this application through within a second.");
      case "reject":
        await rejectInstance(cp, id, actor, { reason });
        return done("Rejected; the developer gets an email.");
      case "revoke":
        await revokeInstance(cp, id, actor, { reason });
        return done("Revoked: the gateway refuses this application within a second.");
      case "delete":
        await deleteInstance(cp, id, actor, { reason });
        return done("Registration deleted.");
      default:
        throw new ValidationError({ intent: `unknown action "${field(form, "intent")}"` });
    }
  } catch (err) {
    return validationResponse(err);
  }
}

export default function AdminRegistrations() {
  const { registrations, services, status, service } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const canAct = useCan("admin");
  return (
    <section>
      <h1>Registration requests</h1>
      <p>Approving adds the service to the application's ACLs; rejecting, revoking or deleting removes it. A reason reaches the developer by email.</p>
      <Outcome data={result} />
      <Form method="get" className="filters">
        <SelectFilter label="Status" name="status" value={status} options={INSTANCE_STATUSES} />
        <SelectFilter label="Service" name="service" value={service} options={services.map((s) => ({ value: s.id, label: s.name ?? s.id }))} />
        <button type="submit">Filter</button>
      </Form>
      <table>
        <thead>
          <tr>
            <th>Application</th>
            <th>Developer</th>
            <th>Service</th>
            <th>Status</th>
            <th>Requested</th>
            {canAct ? <th>Decide</th> : null}
          </tr>
        </thead>
        <tbody>
          {registrations.map((r) => (
            <tr key={r.id} data-registration={`${r.application_name}@${r.service_name ?? r.service_id}`}>
              <td>
                {r.application_name}
                <br />
                <code>{r.client_id ?? "—"}</code> ({r.idp_name}
                {r.idp_mode === "manual" && !r.proof_of_possession_at ? ", client_id pasted, not proven" : ""})
              </td>
              <td>{r.developer_email}</td>
              <td>{r.service_display_name}</td>
              <td>
                <span className={`status status-${r.status}`}>{r.status}</span>
                {r.decided_by ? (
                  <div>
                    by {r.decided_by} <When at={r.decided_at} />
                  </div>
                ) : null}
                {r.reason ? <div>“{r.reason}”</div> : null}
              </td>
              <td>
                <When at={r.created_at} />
              </td>
              {canAct ? (
                <td>
                  {r.status !== "approved" ? (
                    <ActionButton intent="approve" fields={{ id: r.id }}>
                      Approve
                    </ActionButton>
                  ) : null}
                  {r.status === "pending" ? (
                    <ActionButton intent="reject" fields={{ id: r.id }} reason>
                      Reject
                    </ActionButton>
                  ) : null}
                  {r.status === "approved" ? (
                    <ActionButton intent="revoke" fields={{ id: r.id }} reason danger>
                      Revoke
                    </ActionButton>
                  ) : null}
                  <ActionButton intent="delete" fields={{ id: r.id }} danger confirm="Delete this registration?">
                    Delete
                  </ActionButton>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {registrations.length === 0 ? <p>No registrations match.</p> : null}
    </section>
  );
}
