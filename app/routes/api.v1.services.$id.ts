import type { LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson } from "~/.server/api/http";

/** GET /api/v1/services/{id|name} -> the service, with its OpenAPI document reduced to operations (spec). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  return api(async () => {
    await apiDeveloper(request, context.cp);
    const s = await context.cp.portal.catalog.get(params.id ?? "");
    const spec = await context.cp.portal.catalog.spec(s.id, s.name);
    return apiJson({ ...s, spec: spec.model ?? null, spec_error: spec.error });
  });
}
