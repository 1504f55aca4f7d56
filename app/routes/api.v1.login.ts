import type { ActionFunctionArgs } from "@remix-run/node";
import { loginDeveloper } from "~/.server/accounts";
import { api, apiError, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";
import { developerView } from "~/.server/api/views";

/** POST /api/v1/login {email, password} -> 200 {developer} + the gatehouse_session cookie. */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  const { cp } = context;
  return api(async () => {
    const body = await writeBody(request, cp);
    const r = await loginDeveloper(cp, body.email, body.password);
    if (!r.ok) return apiError(r.status, r.message);
    const headers = new Headers();
    headers.append("set-cookie", await cp.sessions.destroy(request));
    headers.append("set-cookie", await cp.sessions.create({ developerId: r.developer.id }, request.headers.get("user-agent")));
    return apiJson({ developer: developerView(r.developer) }, 200, headers);
  });
}

export const loader = () => methodNotAllowed(["POST"]);
