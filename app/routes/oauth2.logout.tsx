/**
 * RP-initiated logout (OIDC RP-Initiated Logout 1.0) for the built-in issuer:
 * post_logout_redirect_uri must match one the client registered exactly; the
 * sign-out itself is a CSRF-protected form, so no page can sign a user out.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { ErrorPanel } from "~/components/ErrorPanel";
import { readForm } from "~/.server/auth/guards";

export const meta: MetaFunction = () => [{ title: "Sign out · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const url = new URL(request.url);
  const check = await cp.issuer.authorization.validateLogout(url.searchParams, cp.issuer.keys);
  if (check.kind === "error-page") return json({ kind: "error" as const, title: check.title, message: check.message }, { status: check.status });
  const viewer = await cp.sessions.viewer(request);
  if (!viewer) {
    if (check.redirect) throw redirect(check.redirect);
    return json({ kind: "done" as const });
  }
  const csrf = await cp.sessions.csrf(request, viewer);
  return json(
    { kind: "confirm" as const, csrf: csrf.token, query: url.searchParams.toString(), client: check.client?.client_name ?? check.client?.client_id ?? null },
    { headers: { "cache-control": "no-store" } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const form = await readForm(request, cp);
  const query = form.get("query");
  const check = await cp.issuer.authorization.validateLogout(new URLSearchParams(typeof query === "string" ? query : ""), cp.issuer.keys);
  const headers = { "set-cookie": await cp.sessions.destroy(request) };
  if (check.kind === "ok" && check.redirect) throw redirect(check.redirect, { headers });
  throw redirect("/oauth2/logout", { headers });
}

export default function Logout() {
  const data = useLoaderData<typeof loader>();
  if (data.kind === "error") return <ErrorPanel title={data.title} message={data.message} />;
  if (data.kind === "done") {
    return (
      <section className="narrow">
        <h1>You are signed out</h1>
      </section>
    );
  }
  return (
    <section className="narrow">
      <h1>Sign out?</h1>
      <p>{data.client ? `${data.client} asks to sign you out of the Gatehouse portal.` : "Sign out of the Gatehouse portal."}</p>
      <Form method="post">
        <Csrf token={data.csrf} />
        <input type="hidden" name="query" value={data.query} />
        <button type="submit">Sign out</button>
      </Form>
    </section>
  );
}
