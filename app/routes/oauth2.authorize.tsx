/**
 * The built-in issuer's authorization endpoint (RFC 6749 4.1, OIDC Core 3.1.2).
 * Login goes through the portal's /login page; consent is this page's
 * CSRF-protected form (never a request parameter). An unknown client or a
 * redirect_uri that is not registered exactly gets this error page, not a redirect.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { ErrorPanel } from "~/components/ErrorPanel";
import { readForm } from "~/.server/auth/guards";
import type { ControlPlane } from "~/.server/context";

export const meta: MetaFunction = () => [{ title: "Authorize · Gatehouse" }];

const SCOPE_TEXT: Record<string, string> = {
  openid: "Know who you are (your account id)",
  profile: "See your name",
  email: "See your email address",
  offline_access: "Stay connected when you are away (refresh tokens)",
};

async function signedIn(request: Request, cp: ControlPlane) {
  const viewer = await cp.sessions.viewer(request);
  if (!viewer?.developer || viewer.developer.status !== "approved") return null;
  const s = await cp.db.selectFrom("sessions").select("created_at").where("id", "=", viewer.sessionId).executeTakeFirst();
  return { viewer, developer: viewer.developer, authTime: s?.created_at ?? new Date() };
}

function errorPage(title: string, message: string, status: number) {
  return json({ kind: "error" as const, title, message }, { status, headers: { "cache-control": "no-store" } });
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const url = new URL(request.url);
  const authz = cp.issuer.authorization;
  const check = await authz.validate(url.searchParams);
  if (check.kind === "error-page") return errorPage(check.title, check.message, check.status);
  if (check.kind === "redirect") throw redirect(check.location);
  const req = check.request;
  const who = await signedIn(request, cp);
  const tooOld = who && req.max_age !== null && Date.now() - who.authTime.getTime() > req.max_age * 1000;
  if (!who || req.prompt.includes("login") || tooOld) {
    if (req.prompt.includes("none")) throw redirect(authz.errorRedirect(req.redirect_uri, "login_required", "the user is not signed in", req.state).location);
    // Come back without prompt=login / max_age, so the fresh login satisfies the request.
    const back = new URLSearchParams(url.searchParams);
    back.delete("prompt");
    back.delete("max_age");
    const headers = new Headers();
    if (who) headers.append("set-cookie", await cp.sessions.destroy(request));
    throw redirect(`/login?redirectTo=${encodeURIComponent(`/oauth2/authorize?${back}`)}`, { headers });
  }
  if (!req.prompt.includes("consent") && (await authz.hasConsent(who.developer.id, req.client_id, req.scope))) {
    throw redirect(await authz.approve(req, who.developer, who.authTime));
  }
  if (req.prompt.includes("none")) throw redirect(authz.errorRedirect(req.redirect_uri, "consent_required", "the user has not consented yet", req.state).location);
  const csrf = await cp.sessions.csrf(request, who.viewer);
  return json(
    {
      kind: "consent" as const,
      csrf: csrf.token,
      query: url.searchParams.toString(),
      client: req.client_name ?? req.client_id,
      clientId: req.client_id,
      redirectHost: new URL(req.redirect_uri).host,
      scopes: req.scope.map((s) => ({ name: s, text: SCOPE_TEXT[s] ?? `Use the API scope “${s}”` })),
      email: who.developer.email,
    },
    { headers: { "cache-control": "no-store", ...(csrf.setCookie ? { "set-cookie": csrf.setCookie } : {}) } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const who = await signedIn(request, cp);
  if (!who) throw redirect("/login");
  const form = await readForm(request, cp, who.viewer);
  const query = form.get("query");
  if (typeof query !== "string") return errorPage("This request is not valid", "The consent form is incomplete: start again from the application.", 400);
  const check = await cp.issuer.authorization.validate(new URLSearchParams(query));
  if (check.kind === "error-page") return errorPage(check.title, check.message, check.status);
  if (check.kind === "redirect") throw redirect(check.location);
  if (form.get("decision") === "allow") throw redirect(await cp.issuer.authorization.approve(check.request, who.developer, who.authTime));
  throw redirect(cp.issuer.authorization.deny(check.request));
}

export default function Authorize() {
  const data = useLoaderData<typeof loader>();
  if (data.kind === "error") return <ErrorPanel title={data.title} message={data.message} />;
  return (
    <section className="narrow">
      <h1>Allow {data.client}?</h1>
      <p>
        <strong>{data.client}</strong> (client <code>{data.clientId}</code>, returning to <code>{data.redirectHost}</code>) asks to sign you in as{" "}
        <strong>{data.email}</strong>
        {data.scopes.length ? " and to:" : "."}
      </p>
      {data.scopes.length ? (
        <ul>
          {data.scopes.map((s) => (
            <li key={s.name}>{s.text}</li>
          ))}
        </ul>
      ) : null}
      <Form method="post">
        <Csrf token={data.csrf} />
        <input type="hidden" name="query" value={data.query} />
        <button type="submit" name="decision" value="allow">
          Allow
        </button>{" "}
        <button type="submit" name="decision" value="deny">
          Deny
        </button>
      </Form>
    </section>
  );
}
