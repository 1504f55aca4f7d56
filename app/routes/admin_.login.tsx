import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { LoginForm } from "~/components/LoginForm";
import { readForm } from "~/.server/auth/guards";
import { safeRedirect } from "~/.server/developers";
import { authenticateAdmin } from "~/.server/admin/accounts";
import { throttleMessage } from "~/.server/throttle";

export const meta: MetaFunction = () => [{ title: "Admin log in · Gatehouse" }];

function adminTarget(to: unknown): string {
  const t = safeRedirect(to, "/admin");
  return t === "/admin" || t.startsWith("/admin/") || t.startsWith("/admin?") ? t : "/admin";
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const viewer = await cp.sessions.viewer(request);
  if (viewer?.admin) throw redirect(adminTarget(new URL(request.url).searchParams.get("redirectTo")));
  const csrf = await cp.sessions.csrf(request, viewer);
  return json({ csrf: csrf.token }, { headers: csrf.setCookie ? { "set-cookie": csrf.setCookie } : {} });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const form = await readForm(request, cp);
  const email = form.get("email");
  const shown = typeof email === "string" ? email : "";
  // admin accounts are throttled apart from developer accounts of the same address
  const key = typeof email === "string" ? `admin:${email}` : undefined;
  const wait = cp.portal.throttle.retryAfter(key, null);
  if (wait > 0) return json({ error: throttleMessage(wait), email: shown }, { status: 429 });
  const admin = await authenticateAdmin(cp.db, email, form.get("password"));
  if (!admin) {
    cp.portal.throttle.fail(key, null);
    return json({ error: "The email or password is not right.", email: shown }, { status: 401 });
  }
  cp.portal.throttle.succeed(key);
  const headers = new Headers();
  headers.append("set-cookie", await cp.sessions.destroy(request));
  headers.append("set-cookie", await cp.sessions.create({ adminId: admin.id }, request.headers.get("user-agent")));
  return redirect(adminTarget(form.get("redirectTo")), { headers });
}

export default function AdminLogin() {
  const { csrf } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  return (
    <section className="narrow">
      <h1>Admin log in</h1>
      {data?.error ? (
        <p role="alert" className="error">
          {data.error}
        </p>
      ) : null}
      <LoginForm csrf={csrf} email={data?.email} emailAutoComplete="username" />
    </section>
  );
}
