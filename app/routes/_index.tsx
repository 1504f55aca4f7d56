import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { TemplateHtml } from "~/components/TemplateHtml";

export const meta: MetaFunction = () => [{ title: "Gatehouse developer portal" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { cp } = context;
  const viewer = await cp.sessions.viewer(request);
  const developer = viewer?.developer?.status === "approved" ? { full_name: viewer.developer.full_name } : null;
  const html = cp.portal.templates.page("home", {
    portal_name: await cp.settings.get("portal.name"),
    developer,
    issuer: cp.urls.issuer,
    proxy_url: cp.urls.proxy,
  });
  return { html: html ?? "<h1>Developer portal</h1>" };
}

export default function Index() {
  const { html } = useLoaderData<typeof loader>();
  return <TemplateHtml html={html} />;
}
