import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson, checkOrigin, methodNotAllowed, writeBody } from "~/.server/api/http";

/** GET /api/v1/applications/{id} (a secret not yet seen is returned once as client_secret). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  return api(async () => {
    const { developer } = await apiDeveloper(request, context.cp);
    const app = await context.cp.portal.applications.get(developer.id, params.id ?? "");
    const client_secret = app.client_secret_pending ? await context.cp.portal.applications.takeSecret(developer.id, app.id) : undefined;
    return apiJson({ ...app, client_secret_pending: false, ...(client_secret ? { client_secret } : {}) });
  });
}

/** PATCH {name?, description?, redirect_uris?} | DELETE -> 204 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const { cp } = context;
  return api(async () => {
    if (request.method === "PATCH") {
      const body = await writeBody(request, cp);
      const { developer, actor } = await apiDeveloper(request, cp);
      return apiJson(await cp.portal.applications.update(developer.id, params.id ?? "", body, actor));
    }
    if (request.method === "DELETE") {
      checkOrigin(request, cp);
      const { developer, actor } = await apiDeveloper(request, cp);
      await cp.portal.applications.delete(developer.id, params.id ?? "", actor);
      return apiJson(null, 204);
    }
    return methodNotAllowed(["GET", "PATCH", "DELETE"]);
  });
}
