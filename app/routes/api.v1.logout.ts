import type { ActionFunctionArgs } from "@remix-run/node";
import { api, apiJson, checkOrigin, methodNotAllowed } from "~/.server/api/http";

/** POST /api/v1/logout -> 204, the session ended and its cookie cleared. */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  return api(async () => {
    checkOrigin(request, context.cp);
    return apiJson(null, 204, { "set-cookie": await context.cp.sessions.destroy(request) });
  });
}

export const loader = () => methodNotAllowed(["POST"]);
