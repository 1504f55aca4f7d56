import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";
import { registrationsOf } from "~/.server/api/views";
import { requestAccess } from "~/.server/registrations";

/** GET /api/v1/applications/{id}/registrations -> {data: [...]} */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  return api(async () => {
    const { developer } = await apiDeveloper(request, context.cp);
    const app = await context.cp.portal.applications.get(developer.id, params.id ?? "");
    return apiJson({ data: await registrationsOf(context.cp, app.id) });
  });
}

/** POST {service_id} -> 201 {id, status} (approved at once when the service auto-approves). */
export async function action({ request, context, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["GET", "POST"]);
  const { cp } = context;
  return api(async () => {
    const body = await writeBody(request, cp);
    const { developer, actor } = await apiDeveloper(request, cp);
    const app = await cp.portal.applications.get(developer.id, params.id ?? "");
    const inst = await requestAccess(cp, app.id, body.service_id, actor, { developerId: developer.id });
    const view = (await registrationsOf(cp, app.id)).find((r) => r.id === inst.id);
    return apiJson(view, 201);
  });
}
