/** Errors the portal's services throw; the API and pages map them to 400/404/409 with field names. */
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
