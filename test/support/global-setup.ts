/** Runs once before the suite: says which databases the data-layer tests cover. */
export default function setup(): void {
  const url = process.env.TEST_DATABASE_URL;
  const where = url ? `PGlite and PostgreSQL (${new URL(url).host}${new URL(url).pathname})` : "PGlite only (set TEST_DATABASE_URL to add PostgreSQL)";
  process.stdout.write(`[gatehouse tests] database targets: ${where}\n`);
}
