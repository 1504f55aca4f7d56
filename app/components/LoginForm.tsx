import { Form, useSearchParams } from "@remix-run/react";
import { Csrf } from "./Csrf";

/** The email + password form of the portal's and the admin console's log-in pages (posts to the current route). */
export function LoginForm({ csrf, email, emailAutoComplete = "email" }: { csrf: string; email?: string; emailAutoComplete?: string }) {
  const [params] = useSearchParams();
  return (
    <Form method="post">
      <Csrf token={csrf} />
      <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? ""} />
      <label>
        Email
        <input type="email" name="email" autoComplete={emailAutoComplete} required defaultValue={email ?? ""} />
      </label>
      <label>
        Password
        <input type="password" name="password" autoComplete="current-password" required />
      </label>
      <button type="submit">Log in</button>
    </Form>
  );
}
