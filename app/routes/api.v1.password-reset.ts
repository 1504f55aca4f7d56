import type { ActionFunctionArgs } from "@remix-run/node";
import { requestPasswordReset, resetPassword } from "~/.server/accounts";
import { api, apiJson, methodNotAllowed, writeBody } from "~/.server/api/http";

/**
 * POST /api/v1/password-reset {email} -> 202 (an email goes out when the address has an account; the answer is the same either way)
 * POST /api/v1/password-reset {token, password} -> 204
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed(["POST"]);
  return api(async () => {
    const body = await writeBody(request, context.cp);
    if (body.token !== undefined) {
      await resetPassword(context.cp, body.token, body.password);
      return apiJson(null, 204);
    }
    await requestPasswordReset(context.cp, body.email);
    return apiJson({ message: "If the address has an account, a reset link is on its way." }, 202);
  });
}

export const loader = () => methodNotAllowed(["POST"]);
