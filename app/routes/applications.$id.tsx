import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { CopyField } from "~/components/CopyField";
import { Status } from "~/components/Status";
import { registrationsOf } from "~/.server/api/views";
import { readForm, requireDeveloper } from "~/.server/auth/guards";
import { errorKind } from "~/.server/errors";
import { formProblem, str } from "~/.server/forms";
import { approvePendingAutoApprovals, cancelRegistration, requestAccess } from "~/.server/registrations";

/** The page may carry a one-time secret: never cached. */
export const headers = () => ({ "cache-control": "no-store" });

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.app.name ?? "Application"} · Gatehouse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { cp } = context;
  const { viewer, developer } = await requireDeveloper(request, cp);
  let app;
  try {
    app = await cp.portal.applications.get(developer.id, params.id ?? "");
  } catch (err) {
    if (errorKind(err)?.kind === "not_found") throw new Response("There is no such application.", { status: 404 });
    throw err;
  }
  // an IdP-issued secret the developer has not seen yet: shown on this response only
  const secret = app.client_secret_pending ? await cp.portal.applications.takeSecret(developer.id, app.id) : undefined;
  const registrations = await registrationsOf(cp, app.id);
  const services = (await cp.portal.catalog.list()).map((s) => ({ id: s.id, display_name: s.display_name }));
  return json(
    { app, secret: secret ?? null, registrations, services, csrf: (await cp.sessions.csrf(request, viewer)).token },
    { headers: { "cache-control": "no-store" } },
  );
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { cp } = context;
  const { viewer, developer } = await requireDeveloper(request, cp);
  const form = await readForm(request, cp, viewer);
  const id = params.id ?? "";
  const actor = { type: "developer" as const, id: developer.id, label: developer.email };
  const intent = str(form.get("intent"));
  try {
    const app = await cp.portal.applications.get(developer.id, id);
    switch (intent) {
      case "update":
        await cp.portal.applications.update(
          developer.id,
          id,
          { name: str(form.get("name")), description: str(form.get("description")) ?? "", redirect_uris: str(form.get("redirect_uris")) ?? "" },
          actor,
        );
        return json({ intent, ok: "Saved.", secret: null, fields: {}, error: null });
      case "rotate": {
        const r = await cp.portal.applications.rotateSecret(developer.id, id, actor);
        return json({ intent, ok: "A new secret was issued.", secret: r.client_secret, fields: {}, error: null }, { headers: { "cache-control": "no-store" } });
      }
      case "prove": {
        await cp.portal.applications.proveClient(developer.id, id, str(form.get("client_secret")), actor);
        const n = await approvePendingAutoApprovals(cp, app.id);
        return json({ intent, ok: `Verified: you hold this client.${n ? ` ${n} request(s) were approved.` : ""}`, secret: null, fields: {}, error: null });
      }
      case "delete":
        await cp.portal.applications.delete(developer.id, id, actor);
        return redirect("/applications");
      case "request":
        await requestAccess(cp, app.id, str(form.get("service_id")), actor, { developerId: developer.id });
        return redirect(`/applications/${id}`);
      case "cancel":
        await cancelRegistration(cp, app.id, str(form.get("registration_id")) ?? "", actor, { developerId: developer.id });
        return redirect(`/applications/${id}`);
      default:
        return json({ intent, ok: null, secret: null, fields: {}, error: "Unknown action." }, { status: 400 });
    }
  } catch (err) {
    const p = formProblem(err);
    return json({ intent, ok: null, secret: null, fields: p.fields, error: p.error }, { status: p.status });
  }
}

export default function ApplicationPage() {
  const { app, secret: loadedSecret, registrations, services, csrf } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const secret = data?.secret ?? loadedSecret;
  const fields = (data?.fields ?? {}) as Record<string, string>;
  const registered = new Set(registrations.filter((r) => r.status === "pending" || r.status === "approved").map((r) => r.service_id));
  const requestable = services.filter((s) => !registered.has(s.id));
  return (
    <section>
      <p>
        <Link to="/applications">← Applications</Link>
      </p>
      <h1>{app.name}</h1>
      {app.description ? <p>{app.description}</p> : null}
      {data?.error ? (
        <p role="alert" className="error">
          {data.error}
        </p>
      ) : null}
      {data?.ok ? (
        <p role="status" className="notice">
          {data.ok}
        </p>
      ) : null}

      {secret ? (
        <div className="secret" role="region" aria-label="Client secret">
          <h2>Your client secret</h2>
          <p>
            Copy it now: it is shown <strong>only once</strong>. Store it like a password.
          </p>
          <CopyField id="client-secret" label="Client secret" value={secret} />
        </div>
      ) : null}

      <h2>Credentials</h2>
      <dl className="props">
        <dt>Client ID</dt>
        <dd>{app.client_id ? <code id="client-id">{app.client_id}</code> : <span className="muted">not issued yet</span>}</dd>
        <dt>Client</dt>
        <dd>
          <Status value={app.client_status} /> {app.client_error ? <span className="error">{app.client_error}</span> : null}
        </dd>
        <dt>Identity provider</dt>
        <dd>
          {app.idp_connection.name} (<code>{app.idp_connection.issuer}</code>)
        </dd>
      </dl>
      {app.client_status === "pending" ? <p className="muted">The client is being created at the IdP; reload this page in a moment.</p> : null}
      {app.idp_connection.mode !== "manual" && app.client_id ? (
        app.rotation_supported ? (
          <Form method="post">
            <Csrf token={csrf} />
            <input type="hidden" name="intent" value="rotate" />
            <button type="submit" className="secondary">
              Rotate secret
            </button>
            <p className="muted">The previous secret keeps working for 24 hours.</p>
          </Form>
        ) : (
          <p className="muted">
            {app.idp_connection.name} does not support rotating secrets from the portal: rotate it at the IdP, or delete and re-create the application.
          </p>
        )
      ) : null}

      {app.idp_connection.mode === "manual" && !app.proof_of_possession ? (
        <Form method="post" className="narrow">
          <Csrf token={csrf} />
          <input type="hidden" name="intent" value="prove" />
          <p>
            Your requests wait for an administrator until you prove that you hold this client: enter its secret once. The portal asks{" "}
            {app.idp_connection.name} for a token with it and does not keep it.
          </p>
          <label htmlFor="prove-secret">Client secret</label>
          <input id="prove-secret" type="password" name="client_secret" autoComplete="off" aria-invalid={!!fields.client_secret} />
          {fields.client_secret ? <p className="error">{fields.client_secret}</p> : null}
          <button type="submit">Verify</button>
        </Form>
      ) : null}

      <h2>API access</h2>
      {registrations.length === 0 ? <p className="muted">This application has not asked for access to any API yet.</p> : null}
      {registrations.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>API</th>
                <th>Status</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {registrations.map((r) => (
                <tr key={r.id} data-registration={r.service.name ?? r.service_id}>
                  <td>
                    <Link to={`/services/${r.service_id}`}>{r.service.display_name}</Link>
                    {r.reason ? <div className="muted">{r.reason}</div> : null}
                  </td>
                  <td>
                    <Status value={r.status} />
                  </td>
                  <td>
                    <Form method="post">
                      <Csrf token={csrf} />
                      <input type="hidden" name="intent" value="cancel" />
                      <input type="hidden" name="registration_id" value={r.id} />
                      <button type="submit" className="link">
                        {r.status === "approved" ? "Give up access" : "Cancel"}
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {requestable.length ? (
        <Form method="post" className="actions">
          <Csrf token={csrf} />
          <input type="hidden" name="intent" value="request" />
          <label>
            API
            <select name="service_id">
              {requestable.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.display_name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Request access</button>
        </Form>
      ) : null}

      <h2>Settings</h2>
      <Form method="post" className="narrow" noValidate>
        <Csrf token={csrf} />
        <input type="hidden" name="intent" value="update" />
        <label htmlFor="edit-name">Name</label>
        <input id="edit-name" name="name" defaultValue={app.name} maxLength={100} aria-invalid={!!fields.name} />
        {fields.name ? <p className="error">{fields.name}</p> : null}
        <label htmlFor="edit-description">Description</label>
        <textarea id="edit-description" name="description" rows={2} defaultValue={app.description} />
        <label htmlFor="edit-redirects">Redirect URIs (one a line)</label>
        <textarea id="edit-redirects" name="redirect_uris" rows={2} defaultValue={app.redirect_uris.join("\n")} aria-invalid={!!fields.redirect_uris} />
        {fields.redirect_uris ? <p className="error">{fields.redirect_uris}</p> : null}
        <button type="submit">Save</button>
      </Form>

      <h2>Delete</h2>
      <Form method="post">
        <Csrf token={csrf} />
        <input type="hidden" name="intent" value="delete" />
        <p className="muted">Deleting removes its client at the IdP and all its API access.</p>
        <button type="submit" className="danger">
          Delete application
        </button>
      </Form>
    </section>
  );
}
