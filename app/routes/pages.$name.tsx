import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { TemplateHtml } from "~/components/TemplateHtml";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.title ?? "Page"} · Gatehouse` }];

/** Content pages from portal-templates/pages/<name>.hbs (home, getting-started, and any an admin adds). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { cp } = context;
  const name = params.name ?? "";
  if (!/^[a-z0-9][a-z0-9-]{0,60}$/.test(name) || name === "home") throw new Response("There is no such page.", { status: 404 });
  const viewer = await cp.sessions.viewer(request);
  const html = cp.portal.templates.page(name, {
    portal_name: await cp.settings.get("portal.name"),
    developer: viewer?.developer?.status === "approved" ? { full_name: viewer.developer.full_name } : null,
    issuer: cp.urls.issuer,
    proxy_url: cp.urls.proxy,
  });
  if (html === undefined) throw new Response("There is no such page.", { status: 404 });
  return { html, title: name.replace(/-/g, " ").replace(/^./, (c) => c.toUpperCase()) };
}

export default function ContentPage() {
  const { html } = useLoaderData<typeof loader>();
  return <TemplateHtml html={html} />;
}
