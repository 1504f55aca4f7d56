import type { LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Links, Meta, NavLink, Outlet, Scripts, ScrollRestoration, isRouteErrorResponse, useRouteError, useRouteLoaderData } from "@remix-run/react";
import styles from "./styles.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const viewer = await cp.sessions.viewer(request);
  const developer = viewer?.developer && viewer.developer.status === "approved" ? viewer.developer : null;
  // the log-out form's token: bound to the session, so only with a viewer (no anonymous cookie here)
  const csrf = viewer ? (await cp.sessions.csrf(request, viewer)).token : null;
  return { portalName: await cp.settings.get("portal.name"), developer: developer ? { name: developer.full_name, email: developer.email } : null, csrf };
}

export function Layout({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        <a className="skip" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <a href="/" className="brand">
            {data?.portalName ?? "Gatehouse"}
          </a>
          <nav aria-label="Main" className="nav">
            <NavLink to="/services">APIs</NavLink>
            {data?.developer ? <NavLink to="/applications">Applications</NavLink> : null}
            <NavLink to="/pages/getting-started">Getting started</NavLink>
          </nav>
          <div className="account">
            {data?.developer ? (
              <form method="post" action="/logout" className="inline">
                <span className="who" title={data.developer.email}>
                  {data.developer.name}
                </span>
                <input type="hidden" name="_csrf" value={data.csrf ?? ""} />
                <button type="submit" className="link">
                  Log out
                </button>
              </form>
            ) : (
              <>
                <a href="/login">Log in</a>
                <a href="/signup" className="button-link">
                  Sign up
                </a>
              </>
            )}
          </div>
        </header>
        <main id="main" className="content">
          {children}
        </main>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const title = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : "Something went wrong";
  const detail = isRouteErrorResponse(error) && typeof error.data === "string" ? error.data : undefined;
  return (
    <section>
      <h1>{title}</h1>
      {detail ? <p>{detail}</p> : null}
      <p>
        <a href="/">Back to the portal</a>
      </p>
    </section>
  );
}
