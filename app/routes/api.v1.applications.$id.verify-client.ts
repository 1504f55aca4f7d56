import type { ActionFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";
import { approvePendingAutoApprovals } from "~/.server/registrations";

/**
 * POST /api/v1/applications/{id}/verify-client {client_secret} (manual mode): proves once that the
 * developer holds the pasted client (a client_credentials grant at the IdP; the secret is not kept).
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  const { cp } = context;
  return api(async () => {
    const body = await writeBody(request, cp);
    const { developer, actor } = await apiDeveloper(request, cp);
    const app = await cp.portal.applications.proveClient(developer.id, params.id ?? "", body.client_secret, actor);
    const approved = await approvePendingAutoApprovals(cp, app.id);
    return apiJson({ ...app, approved_registrations: approved });
  });
}

export const loader = () => methodNotAllowed(["POST"]);
