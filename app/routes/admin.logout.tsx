import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { readForm } from "~/.server/auth/guards";

export async function loader() {
  return redirect("/admin");
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { cp } = context;
  await readForm(request, cp);
  return redirect("/admin/login", { headers: { "set-cookie": await cp.sessions.destroy(request) } });
}
