import type { ActionFunctionArgs } from "@remix-run/node";
import { registerDeveloper } from "~/.server/accounts";
import { api, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";

/** POST /api/v1/register {email, password, full_name, meta?} -> 201 {id, status} (the same answer for a taken email). */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  return api(async () => {
    const body = await writeBody(request, context.cp);
    const r = await registerDeveloper(context.cp, { email: body.email, password: body.password, full_name: body.full_name, meta: body.meta });
    return apiJson(r, 201);
  });
}

export const loader = () => methodNotAllowed(["POST"]);
