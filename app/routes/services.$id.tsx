import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { CopyCode } from "~/components/CopyField";
import { Status } from "~/components/Status";
import { readForm, requireDeveloper } from "~/.server/auth/guards";
import { errorKind } from "~/.server/errors";
import { formProblem, str } from "~/.server/forms";
import { requestAccess } from "~/.server/registrations";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.service.display_name ?? "API"} · Gatehouse` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { cp } = context;
  let service;
  try {
    service = await cp.portal.catalog.get(params.id ?? "");
  } catch (err) {
    if (errorKind(err)?.kind === "not_found") throw new Response("There is no such API in the catalog.", { status: 404 });
    throw err;
  }
  const spec = await cp.portal.catalog.spec(service.id, service.name);
  const viewer = await cp.sessions.viewer(request);
  const developer = viewer?.developer?.status === "approved" ? viewer.developer : null;
  let apps: { id: string; name: string; status: string | null }[] = [];
  let csrf: string | null = null;
  if (developer) {
    const list = await cp.portal.applications.list(developer.id);
    const regs = await cp.db.selectFrom("application_instances").select(["application_id", "status"]).where("service_id", "=", service.id).execute();
    apps = list.map((a) => ({ id: a.id, name: a.name, status: regs.find((r) => r.application_id === a.id)?.status ?? null }));
    csrf = (await cp.sessions.csrf(request, viewer)).token;
  }
  return { service, spec: spec.model ?? null, specError: spec.error ?? null, signedIn: !!developer, apps, csrf };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { cp } = context;
  const { viewer, developer } = await requireDeveloper(request, cp);
  const form = await readForm(request, cp, viewer);
  const appId = str(form.get("application_id")) ?? "";
  try {
    await cp.portal.applications.get(developer.id, appId);
    await requestAccess(cp, appId, params.id, { type: "developer", id: developer.id, label: developer.email }, { developerId: developer.id });
  } catch (err) {
    const p = formProblem(err);
    return json({ error: p.error }, { status: p.status });
  }
  return redirect(`/applications/${appId}`);
}

export default function Service() {
  const { service, spec, specError, signedIn, apps, csrf } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const requestable = apps.filter((a) => a.status === null || a.status === "rejected" || a.status === "revoked");
  return (
    <section>
      <p>
        <Link to="/services">← All APIs</Link>
      </p>
      <h1>{service.display_name}</h1>
      {service.description ? <p>{service.description}</p> : null}

      <h2>Access</h2>
      {actionData?.error ? (
        <p role="alert" className="error">
          {actionData.error}
        </p>
      ) : null}
      {!signedIn ? (
        <p>
          <Link to={`/login?redirectTo=${encodeURIComponent(`/services/${service.id}`)}`}>Log in</Link> to request access for one of your
          applications.
        </p>
      ) : (
        <>
          {apps.some((a) => a.status) ? (
            <ul>
              {apps
                .filter((a) => a.status)
                .map((a) => (
                  <li key={a.id}>
                    <Link to={`/applications/${a.id}`}>{a.name}</Link> <Status value={a.status!} />
                  </li>
                ))}
            </ul>
          ) : null}
          {requestable.length ? (
            <Form method="post" className="actions">
              <Csrf token={csrf ?? ""} />
              <label>
                Application
                <select name="application_id" required>
                  {requestable.map((a) => (
                    <option key={a.id} value={a.id}>
                      {a.name}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">Request access</button>
            </Form>
          ) : apps.length === 0 ? (
            <p>
              <Link to="/applications">Create an application</Link> first.
            </p>
          ) : null}
        </>
      )}

      <h2>How to call it</h2>
      <dl className="props">
        {service.issuer ? (
          <>
            <dt>Issuer</dt>
            <dd>
              <code>{service.issuer}</code>
            </dd>
          </>
        ) : null}
        {service.token_endpoint ? (
          <>
            <dt>Token endpoint</dt>
            <dd>
              <code>{service.token_endpoint}</code>
            </dd>
          </>
        ) : null}
        <dt>Gateway URL</dt>
        <dd>
          <code>{service.url}</code>
        </dd>
        <dt>Auth methods</dt>
        <dd>{service.auth_methods.join(", ")}</dd>
        <dt>Scopes</dt>
        <dd>{service.scopes.length ? service.scopes.join(" ") : "none required"}</dd>
      </dl>
      {service.curl.token ? (
        <>
          <h3>Fetch a token</h3>
          <CopyCode code={service.curl.token} label="token command" />
        </>
      ) : null}
      <h3>Call the API</h3>
      <CopyCode code={service.curl.call} label="API call command" />

      <h2>Reference</h2>
      {specError ? <p className="error">The API description could not be read: {specError}</p> : null}
      {spec ? (
        <div>
          <p>
            <strong>{spec.title}</strong> {spec.version ? <span className="muted">version {spec.version}</span> : null}
          </p>
          {spec.description ? <p>{spec.description}</p> : null}
          {spec.operations.map((op) => (
            <details key={`${op.method} ${op.path}`} className="op">
              <summary>
                <span className="method">{op.method}</span>
                <code>{op.path}</code> {op.summary}
              </summary>
              {op.description ? <p>{op.description}</p> : null}
              {op.parameters.length ? (
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th>Parameter</th>
                        <th>In</th>
                        <th>Required</th>
                        <th>Description</th>
                      </tr>
                    </thead>
                    <tbody>
                      {op.parameters.map((p) => (
                        <tr key={`${p.in}:${p.name}`}>
                          <td>
                            <code>{p.name}</code>
                          </td>
                          <td>{p.in}</td>
                          <td>{p.required ? "yes" : "no"}</td>
                          <td>{p.description}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              ) : null}
              {op.responses.length ? (
                <ul>
                  {op.responses.map((r) => (
                    <li key={r.code}>
                      <code>{r.code}</code> {r.description}
                    </li>
                  ))}
                </ul>
              ) : null}
            </details>
          ))}
        </div>
      ) : !specError ? (
        <p className="muted">No API description has been published for this API.</p>
      ) : null}
    </section>
  );
}
