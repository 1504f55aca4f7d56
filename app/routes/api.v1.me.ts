import type { LoaderFunctionArgs } from "@remix-run/node";
import { api, apiDeveloper, apiJson } from "~/.server/api/http";
import { developerView } from "~/.server/api/views";

/** GET /api/v1/me -> the signed-in developer. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  return api(async () => {
    const { developer } = await apiDeveloper(request, context.cp);
    return apiJson(developerView(developer));
  });
}
