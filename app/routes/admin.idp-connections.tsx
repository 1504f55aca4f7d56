import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { ActionButton, Outcome, useAdminLayout, useCan } from "~/components/admin/ui";
import { requireAdmin } from "~/.server/auth/guards";
import { adminAction, done, field, validationResponse } from "~/.server/admin/guard";
import { ValidationError } from "~/.server/developers";
import { viewConnection } from "~/.server/idp/connections";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const connections = (await cp.portal.connections.list()).map(viewConnection);
  const selected = new URL(request.url).searchParams.get("id");
  return json({ connections, current: connections.find((c) => c.id === selected) ?? null });
}

const PROVIDERS = ["generic", "okta", "keycloak", "auth0", "entra"] as const;

function input(form: FormData, creating: boolean) {
  const v = (k: string) => {
    const x = form.get(k);
    return typeof x === "string" ? x.trim() : undefined;
  };
  const token = v("initial_access_token");
  return {
    name: v("name"),
    ...(creating || v("issuer") ? { issuer: v("issuer") } : {}),
    ...(creating ? { mode: v("mode") } : {}),
    provider: v("provider") || undefined,
    registration_endpoint: v("registration_endpoint") ?? "",
    // an empty field keeps the stored token; the "clear" box removes it
    ...(token ? { initial_access_token: token } : form.get("clear_initial_access_token") === "on" ? { initial_access_token: null } : {}),
    application_claim: v("application_claim") || undefined,
    enabled: form.get("enabled") === "on",
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const { actor, form } = await adminAction(request, cp, "super-admin");
  try {
    switch (field(form, "intent")) {
      case "create": {
        const c = await cp.portal.connections.create(input(form, true), actor);
        return done(`IdP connection ${c.name} created.`);
      }
      case "update": {
        const c = await cp.portal.connections.update(field(form, "id"), input(form, false), actor);
        return done(`IdP connection ${c.name} saved.`);
      }
      case "delete":
        await cp.portal.connections.delete(field(form, "id"), actor);
        return done("IdP connection deleted.");
      default:
        throw new ValidationError({ intent: `unknown action "${field(form, "intent")}"` });
    }
  } catch (err) {
    return validationResponse(err);
  }
}

type Conn = ReturnType<typeof useLoaderData<typeof loader>>["connections"][number];

function ConnectionFields({ c }: { c?: Conn }) {
  const builtin = c?.mode === "builtin";
  return (
    <>
      <label>
        Name
        <input name="name" required defaultValue={c?.name ?? ""} />
      </label>
      <label>
        Issuer URL (exactly the `iss` of its tokens)
        <input name="issuer" required={!c} readOnly={builtin} defaultValue={c?.issuer ?? ""} placeholder="https://example.okta.com/oauth2/default" />
      </label>
      {!c ? (
        <label>
          Mode
          <select name="mode" defaultValue="dcr">
            <option value="dcr">dcr: the portal registers each application's client at the IdP</option>
            <option value="manual">manual: developers paste a client_id they created at the IdP</option>
          </select>
        </label>
      ) : null}
      {!builtin ? (
        <>
          <label>
            Provider profile
            <select name="provider" defaultValue={c?.provider ?? "generic"}>
              {PROVIDERS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label>
            DCR registration endpoint (mode dcr)
            <input name="registration_endpoint" defaultValue={c?.registration_endpoint ?? ""} placeholder="https://idp.example.com/register" />
          </label>
          <label>
            Initial access token (stored encrypted, never shown again{c?.has_initial_access_token ? "; one is stored: leave empty to keep it" : ""})
            <input name="initial_access_token" type="password" autoComplete="off" />
          </label>
          {c?.has_initial_access_token ? (
            <label className="check">
              <input type="checkbox" name="clear_initial_access_token" /> Remove the stored initial access token
            </label>
          ) : null}
        </>
      ) : null}
      <label>
        Application claim (the token claim carrying the client_id: application_id as on Okta, azp as on Keycloak)
        <input name="application_claim" defaultValue={c?.application_claim ?? ""} placeholder="from the provider profile" />
      </label>
      <label className="check">
        <input type="checkbox" name="enabled" defaultChecked={c ? c.enabled : true} /> Enabled
      </label>
    </>
  );
}

export default function AdminIdpConnections() {
  const { connections, current } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useAdminLayout();
  const canEdit = useCan("super-admin");
  return (
    <section>
      <h1>IdP connections</h1>
      <p>The issuers applications get their OAuth2 clients from. The gateway matches a token to an application by its issuer and this connection's application claim.</p>
      <Outcome data={result} />
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Issuer</th>
            <th>Mode</th>
            <th>Application claim</th>
            <th>DCR</th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <tr key={c.id} data-idp={c.name}>
              <td>
                <Link to={`?id=${c.id}`}>{c.name}</Link> {!c.enabled ? <span className="status status-revoked">disabled</span> : null}
              </td>
              <td>
                <code>{c.issuer}</code>
              </td>
              <td>
                {c.mode} ({c.provider})
              </td>
              <td>
                <code>{c.application_claim}</code>
              </td>
              <td>
                {c.registration_endpoint ? <code>{c.registration_endpoint}</code> : "—"}
                {c.has_initial_access_token ? <div>initial access token stored</div> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {current ? (
        <Form method="post" key={current.id + current.updated_at}>
          <h2>{current.name}</h2>
          <Csrf token={csrf} />
          <input type="hidden" name="intent" value="update" />
          <input type="hidden" name="id" value={current.id} />
          <fieldset disabled={!canEdit}>
            <ConnectionFields c={current} />
            <button type="submit">Save</button>
          </fieldset>
        </Form>
      ) : null}
      {current && canEdit && current.mode !== "builtin" ? (
        <ActionButton intent="delete" fields={{ id: current.id }} danger confirm={`Delete the IdP connection ${current.name}?`}>
          Delete
        </ActionButton>
      ) : null}
      {canEdit ? (
        <Form method="post" className="narrow">
          <h2>Add an IdP connection</h2>
          <Csrf token={csrf} />
          <input type="hidden" name="intent" value="create" />
          <ConnectionFields />
          <button type="submit">Add</button>
        </Form>
      ) : null}
    </section>
  );
}
