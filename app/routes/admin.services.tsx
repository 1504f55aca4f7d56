import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { ActionButton, Outcome, useAdminLayout, useCan } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { listServicesWithRegistration } from "~/.server/admin/catalog";
import { adminAction, done, field, validationResponse } from "~/.server/admin/guard";
import { isUuid } from "~/.server/admin/ids";
import { removeServiceRegistration, saveServiceRegistration, saveServiceSpec } from "~/.server/admin/services";
import { ValidationError } from "~/.server/developers";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const selected = new URL(request.url).searchParams.get("id");
  const services = await listServicesWithRegistration(cp.db);
  const current = isUuid(selected) ? (services.find((s) => s.id === selected) ?? null) : null;
  const spec = current ? await cp.db.selectFrom("service_specs").select(["filename", "content"]).where("service_id", "=", current.id).executeTakeFirst() : undefined;
  return json({ services, current, spec: spec ?? null });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "super-admin");
  const id = field(form, "id");
  try {
    switch (field(form, "intent")) {
      case "save":
        await saveServiceRegistration(cp, actor, id, {
          display_name: field(form, "display_name"),
          description: field(form, "description") || null,
          auto_approve: form.get("auto_approve") === "on",
          show_issuer: form.get("show_issuer") === "on",
          enable_proxy_with_consumer_credential: form.get("enable_proxy_with_consumer_credential") === "on",
          enabled: form.get("enabled") === "on",
        });
        return done("Saved: the catalog and the gateway follow within a second.");
      case "remove":
        await removeServiceRegistration(cp, actor, id);
        return done("Removed from the catalog.");
      case "spec":
        await saveServiceSpec(cp.db, actor, id, field(form, "filename"), String(form.get("spec") ?? ""));
        return done("Spec saved.");
      default:
        throw new ValidationError({ intent: `unknown action "${field(form, "intent")}"` });
    }
  } catch (err) {
    return validationResponse(err);
  }
}

export default function AdminServices() {
  const { services, current, spec } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useAdminLayout();
  const canEdit = useCan("super-admin");
  const cfg = (current?.registration?.config ?? {}) as Record<string, unknown>;
  return (
    <section>
      <h1>Services</h1>
      <p>A service is in the portal's catalog when it carries the application-registration plugin. Routes and upstreams are managed through the Admin API.</p>
      <Outcome data={result} />
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Upstream</th>
            <th>In the catalog as</th>
            <th>Spec</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.id} data-service={s.name ?? s.id}>
              <td>
                <Link to={`?id=${s.id}`}>{s.name ?? s.id}</Link>
              </td>
              <td>
                <code>
                  {s.protocol}://{s.host}:{s.port}
                  {s.path ?? ""}
                </code>
              </td>
              <td>
                {s.registration ? (
                  <>
                    {String((s.registration.config as Record<string, unknown>).display_name ?? "")}
                    {(s.registration.config as Record<string, unknown>).auto_approve ? <span className="status">auto-approve</span> : null}
                    {!s.registration.enabled ? <span className="status status-revoked">disabled</span> : null}
                  </>
                ) : (
                  "—"
                )}
              </td>
              <td>{s.spec ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {current ? (
        <>
          <h2>{current.name ?? current.id}</h2>
          <Form method="post" key={current.id + JSON.stringify(cfg)}>
            <Csrf token={csrf} />
            <input type="hidden" name="intent" value="save" />
            <input type="hidden" name="id" value={current.id} />
            <fieldset disabled={!canEdit}>
              <legend>Catalog entry (application-registration plugin)</legend>
              <label>
                Display name
                <input name="display_name" required defaultValue={String(cfg.display_name ?? current.name ?? "")} />
              </label>
              <label>
                Description
                <textarea name="description" rows={3} defaultValue={String(cfg.description ?? "")} />
              </label>
              <label className="check">
                <input type="checkbox" name="enabled" defaultChecked={current.registration ? current.registration.enabled : true} /> Offered in the catalog (plugin enabled)
              </label>
              <label className="check">
                <input type="checkbox" name="auto_approve" defaultChecked={cfg.auto_approve === true} /> Approve registrations at once (manual-mode applications still wait until their client is proven)
              </label>
              <label className="check">
                <input type="checkbox" name="show_issuer" defaultChecked={cfg.show_issuer === true} /> Show the issuer and token endpoint to developers
              </label>
              <label className="check">
                <input type="checkbox" name="enable_proxy_with_consumer_credential" defaultChecked={cfg.enable_proxy_with_consumer_credential === true} /> Bypass: let a request through
                on any consumer credential without an approved registration (off unless you know you need it)
              </label>
              <button type="submit">Save</button>
            </fieldset>
          </Form>
          {canEdit && current.registration ? (
            <ActionButton intent="remove" fields={{ id: current.id }} danger confirm="Take this service out of the catalog?">
              Remove from the catalog
            </ActionButton>
          ) : null}
          <Form method="post">
            <Csrf token={csrf} />
            <input type="hidden" name="intent" value="spec" />
            <input type="hidden" name="id" value={current.id} />
            <fieldset disabled={!canEdit}>
              <legend>OpenAPI spec (JSON or YAML; empty removes it)</legend>
              <label>
                File name
                <input name="filename" defaultValue={spec?.filename ?? ""} placeholder="openapi.yaml" />
              </label>
              <textarea name="spec" rows={14} defaultValue={spec?.content ?? ""} />
              <button type="submit">Save spec</button>
            </fieldset>
          </Form>
        </>
      ) : null}
    </section>
  );
}
