import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { requestPasswordReset } from "~/.server/accounts";
import { readForm } from "~/.server/auth/guards";
import { ValidationError } from "~/.server/developers";

export const meta: MetaFunction = () => [{ title: "Reset your password · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const csrf = await context.cp.sessions.csrf(request);
  return json({ csrf: csrf.token }, { headers: csrf.setCookie ? { "set-cookie": csrf.setCookie } : {} });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, context.cp);
  try {
    await requestPasswordReset(context.cp, form.get("email"));
  } catch (err) {
    if (err instanceof ValidationError) return json({ sent: false, error: err.fields.email }, { status: 400 });
    throw err;
  }
  // the same answer whether or not the address has an account
  return json({ sent: true, error: null });
}

export default function ForgotPassword() {
  const { csrf } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  return (
    <section className="narrow">
      <h1>Reset your password</h1>
      {data?.sent ? (
        <p role="status" className="notice">
          If the address has an account, we sent it a link to choose a new password. The link works for 30 minutes.
        </p>
      ) : (
        <Form method="post">
          <Csrf token={csrf} />
          <label>
            Email
            <input type="email" name="email" autoComplete="email" required />
          </label>
          {data?.error ? <p className="error">{data.error}</p> : null}
          <button type="submit">Send reset link</button>
        </Form>
      )}
    </section>
  );
}
