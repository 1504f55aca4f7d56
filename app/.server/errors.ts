/**
 * Errors the portal's services throw; the API and pages map them to 400/404/409
 * with field names.
 *
 * Match them with `errorKind`, never `instanceof`: the Remix server build bundles
 * its own copy of these classes, while the services on `cp` come from the
 * control plane's copy, so an instanceof check across that line is always false.
 */
export { ValidationError } from "./developers";

export class NotFoundError extends Error {
  override name = "NotFoundError";
}

export class ConflictError extends Error {
  override name = "ConflictError";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type ErrorKind =
  | { kind: "validation"; message: string; fields: Record<string, string> }
  | { kind: "not_found"; message: string }
  | { kind: "conflict"; message: string; field?: string }
  | { kind: "status"; status: number; message: string; field?: string };

/** Recognises the services' errors by name (see above); undefined for anything else. */
export function errorKind(err: unknown): ErrorKind | undefined {
  if (!err || typeof err !== "object" || !(err instanceof Error)) return undefined;
  const e = err as Error & { fields?: Record<string, string>; field?: string; status?: number };
  switch (e.name) {
    case "ValidationError":
      return { kind: "validation", message: e.message, fields: e.fields ?? {} };
    case "NotFoundError":
      return { kind: "not_found", message: e.message };
    case "ConflictError":
      return { kind: "conflict", message: e.message, field: e.field };
    case "RegistrationError":
      return { kind: "status", status: e.status ?? 400, message: e.message, field: e.field };
    case "SpecError":
      return { kind: "validation", message: e.message, fields: { spec: e.message } };
    default:
      return undefined;
  }
}
