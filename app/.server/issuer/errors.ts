/** OAuth errors as RFC 6749 5.2 (and RFC 7591, 7662, 7009, 8707) name them. */
export class OAuthHttpError extends Error {
  override name = "OAuthHttpError";
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const invalidRequest = (d: string) => new OAuthHttpError(400, "invalid_request", d);
export const invalidGrant = (d: string) => new OAuthHttpError(400, "invalid_grant", d);
export const invalidScope = (d: string) => new OAuthHttpError(400, "invalid_scope", d);
export const invalidTarget = (d: string) => new OAuthHttpError(400, "invalid_target", d);
export const unauthorizedClient = (d: string) => new OAuthHttpError(400, "unauthorized_client", d);

/** invalid_client: 401, with WWW-Authenticate when the client tried HTTP Basic (RFC 6749 5.2). */
export function invalidClient(d: string, usedBasic: boolean): OAuthHttpError {
  return new OAuthHttpError(401, "invalid_client", d, usedBasic ? { "www-authenticate": 'Basic realm="oauth2", charset="UTF-8"' } : {});
}
