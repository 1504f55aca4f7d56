import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Csrf } from "~/components/Csrf";
import { readForm } from "~/.server/auth/guards";
import { registerDeveloper } from "~/.server/accounts";
import { ValidationError } from "~/.server/developers";

export const meta: MetaFunction = () => [{ title: "Create an account · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const viewer = await cp.sessions.viewer(request);
  if (viewer?.developer?.status === "approved") throw redirect("/");
  const csrf = await cp.sessions.csrf(request, viewer);
  const metaFields = await cp.settings.get("portal.developer_meta_fields");
  return json({ csrf: csrf.token, metaFields }, { headers: csrf.setCookie ? { "set-cookie": csrf.setCookie } : {} });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  const form = await readForm(request, cp);
  const values = { email: form.get("email"), password: form.get("password"), full_name: form.get("full_name") };
  const meta: Record<string, string> = {};
  for (const f of await cp.settings.get("portal.developer_meta_fields")) {
    const v = form.get(`meta.${f.name}`);
    if (typeof v === "string") meta[f.name] = v;
  }
  try {
    await registerDeveloper(cp, { ...values, meta });
  } catch (err) {
    if (err instanceof ValidationError) {
      return json(
        { fields: err.fields, values: { email: String(values.email ?? ""), full_name: String(values.full_name ?? ""), meta } },
        { status: 400 },
      );
    }
    throw err;
  }
  // The same answer whether or not the email was taken: sign-up never reveals an account.
  return redirect("/signup/done");
}

export default function SignUp() {
  const { csrf, metaFields } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>();
  const fields = data?.fields ?? {};
  return (
    <section className="narrow">
      <h1>Create an account</h1>
      <Form method="post" noValidate>
        <Csrf token={csrf} />
        <label>
          Full name
          <input name="full_name" autoComplete="name" required defaultValue={data?.values.full_name} aria-invalid={!!fields.full_name} />
        </label>
        {fields.full_name ? <p className="error">{fields.full_name}</p> : null}
        <label>
          Email
          <input type="email" name="email" autoComplete="email" required defaultValue={data?.values.email} aria-invalid={!!fields.email} />
        </label>
        {fields.email ? <p className="error">{fields.email}</p> : null}
        <label>
          Password
          <input type="password" name="password" autoComplete="new-password" required minLength={10} aria-invalid={!!fields.password} />
        </label>
        {fields.password ? <p className="error">{fields.password}</p> : null}
        {metaFields.map((f) => (
          <div key={f.name}>
            <label>
              {f.label}
              {f.required ? "" : " (optional)"}
              <input name={`meta.${f.name}`} required={f.required} defaultValue={data?.values.meta?.[f.name]} aria-invalid={!!fields[`meta.${f.name}`]} />
            </label>
            {fields[`meta.${f.name}`] ? <p className="error">{fields[`meta.${f.name}`]}</p> : null}
          </div>
        ))}
        <button type="submit">Create account</button>
      </Form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
