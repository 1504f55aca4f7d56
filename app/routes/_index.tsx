import type { MetaFunction } from "@remix-run/node";

export const meta: MetaFunction = () => [{ title: "Gatehouse developer portal" }];

export default function Index() {
  return (
    <section>
      <h1>Developer portal</h1>
      <p>Register applications, get OAuth2 credentials and request access to APIs.</p>
    </section>
  );
}
