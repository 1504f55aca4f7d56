import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { ActionButton, Outcome, useAdminLayout, useCan, When } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { ADMIN_ROLES } from "~/components/admin/constants";
import { createAdmin, deleteAdmin, listAdmins, setAdminRole } from "~/.server/admin/accounts";
import { adminAction, done, field, validationResponse } from "~/.server/admin/guard";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  return json({ admins: await listAdmins(cp.db) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "super-admin");
  const intent = field(form, "intent");
  try {
    if (intent === "create") {
      const a = await createAdmin(cp.db, actor, { email: field(form, "email"), role: field(form, "role"), password: form.get("password") });
      return done(`Admin ${a.email} created as ${a.role}.`);
    }
    if (intent === "role") {
      await setAdminRole(cp.db, actor, field(form, "id"), field(form, "role"));
      await cp.sessions.destroyAllFor({ adminId: field(form, "id") });
      return done("Role changed; that admin logs in again.");
    }
    if (intent === "delete") {
      await deleteAdmin(cp.db, actor, field(form, "id"));
      return done("Admin deleted.");
    }
    return json({ ok: false as const, error: `unknown action "${intent}"`, message: undefined, fields: undefined }, { status: 400 });
  } catch (err) {
    return validationResponse(err);
  }
}

export default function AdminAdmins() {
  const { admins } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf, admin: me } = useAdminLayout();
  const canEdit = useCan("super-admin");
  return (
    <section>
      <h1>Admins</h1>
      <p>read-only sees everything and changes nothing; admin decides developers, applications and registrations; super-admin also manages services, IdP connections, settings, templates and admins.</p>
      <Outcome data={result} />
      <table>
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Last log-in</th>
            {canEdit ? <th>Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {admins.map((a) => (
            <tr key={a.id}>
              <td>{a.email}</td>
              <td>{a.role}</td>
              <td>
                <When at={a.last_login_at} />
              </td>
              {canEdit ? (
                <td>
                  {ADMIN_ROLES.filter((r) => r !== a.role).map((r) => (
                    <ActionButton key={r} intent="role" fields={{ id: a.id, role: r }}>
                      Make {r}
                    </ActionButton>
                  ))}
                  {a.id !== me.id ? (
                    <ActionButton intent="delete" fields={{ id: a.id }} danger confirm={`Delete admin ${a.email}?`}>
                      Delete
                    </ActionButton>
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit ? (
        <Form method="post" className="narrow">
          <h2>Add an admin</h2>
          <Csrf token={csrf} />
          <input type="hidden" name="intent" value="create" />
          <label>
            Email
            <input type="email" name="email" required />
          </label>
          <label>
            Role
            <select name="role" defaultValue="admin">
              {ADMIN_ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          <label>
            Password (at least 12 characters)
            <input type="password" name="password" autoComplete="new-password" required minLength={12} />
          </label>
          <button type="submit">Add admin</button>
        </Form>
      ) : null}
    </section>
  );
}
