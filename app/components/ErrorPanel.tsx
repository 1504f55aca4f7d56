/** A page-level error: what went wrong (title) and what to do about it (message). */
export function ErrorPanel({ title, message }: { title: string; message: string }) {
  return (
    <section className="narrow">
      <h1>{title}</h1>
      <p role="alert" className="error">
        {message}
      </p>
    </section>
  );
}
