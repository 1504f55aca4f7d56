import { Link } from "@remix-run/react";

export default function SignUpDone() {
  return (
    <section className="narrow">
      <h1>Thanks for signing up</h1>
      <p>
        If the address is new to us, your account is ready to use, or waits for an administrator's approval; we will send
        you an email either way.
      </p>
      <p>
        <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
