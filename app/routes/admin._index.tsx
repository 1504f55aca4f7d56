import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireAdmin } from "~/.server/auth/guards";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  await requireAdmin(request, cp, "read-only");
  const count = async (q: Promise<{ n: string | number | bigint }[]>) => Number((await q)[0]?.n ?? 0);
  const [developersWaiting, registrationsPending, applications, emailsPending] = await Promise.all([
    count(cp.db.selectFrom("developers").select((eb) => eb.fn.countAll().as("n")).where("status", "=", "requested").execute()),
    count(cp.db.selectFrom("application_instances").select((eb) => eb.fn.countAll().as("n")).where("status", "=", "pending").execute()),
    count(cp.db.selectFrom("applications").select((eb) => eb.fn.countAll().as("n")).execute()),
    count(cp.db.selectFrom("email_outbox").select((eb) => eb.fn.countAll().as("n")).where("status", "in", ["pending", "failed"]).execute()),
  ]);
  return json({ developersWaiting, registrationsPending, applications, emailsPending, configVersion: cp.configEvents.version });
}

export default function AdminOverview() {
  const d = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>Overview</h1>
      <ul>
        <li>
          <Link to="/admin/developers?status=requested">Developers waiting for approval</Link>: <strong data-count="developers">{d.developersWaiting}</strong>
        </li>
        <li>
          <Link to="/admin/registrations?status=pending">Registration requests pending</Link>: <strong data-count="registrations">{d.registrationsPending}</strong>
        </li>
        <li>
          <Link to="/admin/applications">Applications</Link>: {d.applications}
        </li>
        <li>
          <Link to="/admin/outbox">Emails pending or failed</Link>: {d.emailsPending}
        </li>
        <li>Configuration version: {d.configVersion}</li>
      </ul>
    </section>
  );
}
