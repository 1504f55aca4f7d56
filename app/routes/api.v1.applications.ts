import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";

/** GET /api/v1/applications -> {data: [...]} */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return api(async () => {
    const { developer } = await apiDeveloper(request, context.cp);
    return apiJson({ data: await context.cp.portal.applications.list(developer.id) });
  });
}

/** POST /api/v1/applications {name, description?, redirect_uris?, idp_connection_id?, client_id?} -> 201 {..., client_secret? (once)} */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
  const { cp } = context;
  return api(async () => {
    const body = await writeBody(request, cp);
    const { developer, actor } = await apiDeveloper(request, cp);
    const { application, client_secret } = await cp.portal.applications.create(developer, body, actor);
    return apiJson({ ...application, ...(client_secret ? { client_secret } : {}) }, 201);
  });
}
