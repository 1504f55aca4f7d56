import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { LoginForm } from "~/components/LoginForm";
import { readForm } from "~/.server/auth/guards";
import { loginDeveloper, NOT_APPROVED_MESSAGES } from "~/.server/accounts";
import { safeRedirect } from "~/.server/developers";

export const meta: MetaFunction = () => [{ title: "Log in · Gatehouse" }];

const STATUS_MESSAGES = NOT_APPROVED_MESSAGES;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const viewer = await cp.sessions.viewer(request);
  const url = new URL(request.url);
  if (viewer?.developer?.status === "approved") throw redirect(safeRedirect(url.searchParams.get("redirectTo"), "/"));
  const csrf = await cp.sessions.csrf(request, viewer);
  const status = url.searchParams.get("status");
  return json(
    { csrf: csrf.token, notice: status ? (STATUS_MESSAGES[status] ?? null) : null },
    { headers: csrf.setCookie ? { "set-cookie": csrf.setCookie } : {} },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const form = await readForm(request, cp);
  const email = form.get("email");
  const result = await loginDeveloper(cp, email, form.get("password"));
  if (!result.ok) return json({ error: result.message, email: typeof email === "string" ? email : "" }, { status: result.status });
  const headers = new Headers();
  headers.append("set-cookie", await cp.sessions.destroy(request));
  headers.append("set-cookie", await cp.sessions.create({ developerId: result.developer.id }, request.headers.get("user-agent")));
  return redirect(safeRedirect(form.get("redirectTo"), "/"), { headers });
}

export default function Login() {
  const { csrf, notice } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <section className="narrow">
      <h1>Log in</h1>
      {notice ? <p role="status" className="notice">{notice}</p> : null}
      {actionData?.error ? (
        <p role="alert" className="error">
          {actionData.error}
        </p>
      ) : null}
      <LoginForm csrf={csrf} email={actionData?.email} />
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        New here? <Link to={`/signup${params.get("redirectTo") ? `?redirectTo=${encodeURIComponent(params.get("redirectTo")!)}` : ""}`}>Create an account</Link>
      </p>
    </section>
  );
}
