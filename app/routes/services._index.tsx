import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "APIs · Gatehouse" }];

export async function loader({ context }: LoaderFunctionArgs) {
  return { services: await context.cp.portal.catalog.list() };
}

export default function Services() {
  const { services } = useLoaderData<typeof loader>();
  return (
    <section>
      <h1>APIs</h1>
      {services.length === 0 ? (
        <p className="muted">No APIs are published yet.</p>
      ) : (
        <ul className="cards">
          {services.map((s) => (
            <li key={s.id} className="card">
              <h2>
                <Link to={`/services/${s.id}`}>{s.display_name}</Link>
              </h2>
              {s.description ? <p>{s.description}</p> : null}
              <p className="muted">{s.auto_approve ? "Access is approved at once." : "Access is approved by an administrator."}</p>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
