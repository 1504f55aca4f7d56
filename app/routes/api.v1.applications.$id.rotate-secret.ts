import type { ActionFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";

/** POST /api/v1/applications/{id}/rotate-secret -> {client_secret} (builtin: the old one stays valid for 24 hours). */
export async function action({ request, context, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  const { cp } = context;
  return api(async () => {
    await writeBody(request, cp, { optional: true });
    const { developer, actor } = await apiDeveloper(request, cp);
    return apiJson(await cp.portal.applications.rotateSecret(developer.id, params.id ?? "", actor));
  });
}

export const loader = () => methodNotAllowed(["POST"]);
