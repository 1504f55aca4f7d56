import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { Status } from "~/components/Status";
import { readForm, requireDeveloper } from "~/.server/auth/guards";
import { formProblem, str } from "~/.server/forms";

export const meta: MetaFunction = () => [{ title: "Applications · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const { viewer, developer } = await requireDeveloper(request, cp);
  const applications = await cp.portal.applications.list(developer.id);
  const connections = (await cp.portal.connections.list()).filter((c) => c.enabled).map((c) => ({ id: c.id, name: c.name, issuer: c.issuer, mode: c.mode }));
  return { applications, connections, csrf: (await cp.sessions.csrf(request, viewer)).token };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { viewer, developer } = await requireDeveloper(request, cp);
  const form = await readForm(request, cp, viewer);
  const values = {
    name: str(form.get("name")) ?? "",
    description: str(form.get("description")) ?? "",
    redirect_uris: str(form.get("redirect_uris")) ?? "",
    idp_connection_id: str(form.get("idp_connection_id")) ?? "",
    client_id: str(form.get("client_id")) ?? "",
  };
  try {
    const { application } = await cp.portal.applications.create(
      developer,
      { ...values, client_id: values.client_id || undefined },
      { type: "developer", id: developer.id, label: developer.email },
      { keepSecret: true },
    );
    return redirect(`/applications/${application.id}`);
  } catch (err) {
    const p = formProblem(err);
    return json({ ...p, values }, { status: p.status });
  }
}

export default function Applications() {
  const { applications, connections, csrf } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const fields = data?.fields ?? {};
  const defaultConn = data?.values.idp_connection_id || connections.find((c) => c.mode === "builtin")?.id || connections[0]?.id || "";
  const hasManual = connections.some((c) => c.mode === "manual");
  return (
    <section>
      <h1>Applications</h1>
      {applications.length === 0 ? (
        <p className="muted">You have no applications yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Client ID</th>
                <th>IdP</th>
                <th>Client</th>
              </tr>
            </thead>
            <tbody>
              {applications.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/applications/${a.id}`}>{a.name}</Link>
                  </td>
                  <td>
                    <code>{a.client_id ?? "—"}</code>
                  </td>
                  <td>{a.idp_connection.name}</td>
                  <td>
                    <Status value={a.client_status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Create an application</h2>
      {data?.error ? (
        <p role="alert" className="error">
          {data.error}
        </p>
      ) : null}
      <Form method="post" className="narrow" noValidate>
        <Csrf token={csrf} />
        <label htmlFor="app-name">Name</label>
        <input id="app-name" name="name" required maxLength={100} defaultValue={data?.values.name} aria-invalid={!!fields.name} aria-describedby="app-name-error" />
        {fields.name ? <p id="app-name-error" className="error">{fields.name}</p> : null}
        <label htmlFor="app-description">Description (optional)</label>
        <textarea id="app-description" name="description" rows={2} maxLength={1000} defaultValue={data?.values.description} />
        {fields.description ? <p className="error">{fields.description}</p> : null}
        <label htmlFor="app-redirects">Redirect URIs (optional, one a line: only for the authorization code flow)</label>
        <textarea id="app-redirects" name="redirect_uris" rows={2} defaultValue={data?.values.redirect_uris} aria-invalid={!!fields.redirect_uris} />
        {fields.redirect_uris ? <p className="error">{fields.redirect_uris}</p> : null}
        <label htmlFor="app-idp">Identity provider</label>
        <select id="app-idp" name="idp_connection_id" defaultValue={defaultConn}>
          {connections.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.mode === "builtin" ? "built-in issuer" : c.mode === "dcr" ? "client registered for you" : "paste your client ID"})
            </option>
          ))}
        </select>
        {fields.idp_connection_id ? <p className="error">{fields.idp_connection_id}</p> : null}
        {hasManual || fields.client_id ? (
          <>
            <label htmlFor="app-client-id">Client ID (only for an IdP where you create the client yourself)</label>
            <input id="app-client-id" name="client_id" defaultValue={data?.values.client_id} aria-invalid={!!fields.client_id} />
          </>
        ) : null}
        {fields.client_id ? <p className="error">{fields.client_id}</p> : null}
        <button type="submit">Create application</button>
      </Form>
    </section>
  );
}
