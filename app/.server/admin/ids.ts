const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `v` is a UUID: ids from forms and URLs are checked before they reach a uuid column. */
export function isUuid(v: unknown): v is string {
  return typeof v === "string" && UUID.test(v);
}
