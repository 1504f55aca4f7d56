import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { Outcome, useAdminLayout, useCan } from "~/components/admin/ui";
import { audit } from "~/.server/audit";
import { requireAdmin } from "~/.server/auth/guards";
import { adminAction, done, field } from "~/.server/admin/guard";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  return json({ settings: await cp.settings.all() });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "super-admin");
  const name = field(form, "portal.name");
  if (!name || name.length > 100) {
    return json({ ok: false as const, error: "The portal name needs 1 to 100 characters.", message: undefined }, { status: 400 });
  }
  const before = await cp.settings.all();
  const next = {
    "portal.name": name,
    "portal.developer_auto_approve": form.get("portal.developer_auto_approve") === "on",
    "portal.email_verification": form.get("portal.email_verification") === "on",
  } as const;
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(next) as [keyof typeof next, string | boolean][]) {
    if (before[k] !== v) {
      await cp.settings.set(k, v as never);
      changed[k] = { from: before[k], to: v };
    }
  }
  if (Object.keys(changed).length) await audit(cp.db, actor, "settings.update", { type: "settings" }, changed);
  return done(Object.keys(changed).length ? "Settings saved." : "Nothing changed.");
}

export default function AdminSettings() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useAdminLayout();
  const canEdit = useCan("super-admin");
  return (
    <section>
      <h1>Portal settings</h1>
      <Outcome data={result} />
      {!canEdit ? <p>Only a super-admin can change these.</p> : null}
      <Form method="post">
        <Csrf token={csrf} />
        <fieldset disabled={!canEdit}>
          <label>
            Portal name
            <input name="portal.name" defaultValue={settings["portal.name"]} required maxLength={100} />
          </label>
          <label className="check">
            <input type="checkbox" name="portal.developer_auto_approve" defaultChecked={settings["portal.developer_auto_approve"]} />
            Approve new developers at once (otherwise they wait for an admin)
          </label>
          <label className="check">
            <input type="checkbox" name="portal.email_verification" defaultChecked={settings["portal.email_verification"]} />
            Developers verify their email address before they can log in
          </label>
          <button type="submit">Save</button>
        </fieldset>
      </Form>
    </section>
  );
}
