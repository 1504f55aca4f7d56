import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiError, apiJson, checkOrigin, methodNotAllowed } from "~/.server/api/http";
import { registrationsOf } from "~/.server/api/views";
import { cancelRegistration } from "~/.server/registrations";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  return api(async () => {
    const { developer } = await apiDeveloper(request, context.cp);
    const app = await context.cp.portal.applications.get(developer.id, params.id ?? "");
    const r = (await registrationsOf(context.cp, app.id)).find((x) => x.id === params.rid);
    return r ? apiJson(r) : apiError(404, "no such registration");
  });
}

/** DELETE /api/v1/applications/{id}/registrations/{rid} -> 204 (cancels it; an approved one loses its access). */
export async function action({ request, context, params }: ActionFunctionArgs) {
  if (request.method !== "DELETE") return methodNotAllowed(["GET", "DELETE"]);
  const { cp } = context;
  return api(async () => {
    checkOrigin(request, cp);
    const { developer, actor } = await apiDeveloper(request, cp);
    await cancelRegistration(cp, params.id ?? "", params.rid ?? "", actor, { developerId: developer.id });
    return apiJson(null, 204);
  });
}
