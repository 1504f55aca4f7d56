import type { LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson } from "~/.server/api/http";

/** GET /api/v1/idp-connections -> {data: [{id, name, issuer, mode}]} (enabled ones: where applications can get clients). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return api(async () => {
    await apiDeveloper(request, context.cp);
    const rows = await context.cp.portal.connections.list();
    return apiJson({
      data: rows.filter((c) => c.enabled).map((c) => ({ id: c.id, name: c.name, issuer: c.issuer, mode: c.mode, provider: c.provider, application_claim: c.application_claim })),
    });
  });
}
