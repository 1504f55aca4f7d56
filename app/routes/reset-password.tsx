import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { resetPassword } from "~/.server/accounts";
import { readForm } from "~/.server/auth/guards";
import { ValidationError } from "~/.server/developers";

export const meta: MetaFunction = () => [{ title: "Choose a new password · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const csrf = await context.cp.sessions.csrf(request);
  const token = new URL(request.url).searchParams.get("token") ?? "";
  return json({ csrf: csrf.token, token }, { headers: { ...(csrf.setCookie ? { "set-cookie": csrf.setCookie } : {}), "referrer-policy": "no-referrer" } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, context.cp);
  try {
    await resetPassword(context.cp, form.get("token"), form.get("password"));
  } catch (err) {
    if (err instanceof ValidationError) return json({ fields: err.fields }, { status: 400 });
    throw err;
  }
  return redirect("/login?reset=1");
}

export default function ResetPassword() {
  const { csrf, token } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const fields = data?.fields ?? {};
  return (
    <section className="narrow">
      <h1>Choose a new password</h1>
      {fields.token ? (
        <p role="alert" className="error">
          {fields.token}
        </p>
      ) : null}
      <Form method="post">
        <Csrf token={csrf} />
        <input type="hidden" name="token" value={token} />
        <label>
          New password
          <input type="password" name="password" autoComplete="new-password" required minLength={10} />
        </label>
        {fields.password ? <p className="error">{fields.password}</p> : null}
        <button type="submit">Set password</button>
      </Form>
    </section>
  );
}
