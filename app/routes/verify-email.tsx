import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { verifyEmail } from "~/.server/accounts";

export const meta: MetaFunction = () => [{ title: "Confirm your email · Gatehouse" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ok = await verifyEmail(context.cp, new URL(request.url).searchParams.get("token"));
  return { ok };
}

export default function VerifyEmail() {
  const { ok } = useLoaderData<typeof loader>();
  return (
    <section className="narrow">
      <h1>{ok ? "Email confirmed" : "This link does not work"}</h1>
      <p>{ok ? "Thanks, your email address is confirmed." : "It is invalid, used or expired. Log in to ask for a new one, or sign up again."}</p>
      <p>
        <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
