import type { LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson } from "~/.server/api/http";

/** GET /api/v1/services -> {data: [{id, name, display_name, description, issuer?, token_endpoint?, auth_methods, scopes, ...}]} */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return api(async () => {
    await apiDeveloper(request, context.cp);
    return apiJson({ data: await context.cp.portal.catalog.list() });
  });
}
