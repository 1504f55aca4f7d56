/**
 * The plugin's refusals, shaped for RFC 6750 section 3: a 401 carries
 * `WWW-Authenticate: Bearer error="invalid_token"` with a description a
 * developer can act on; a missing scope is a 403 `insufficient_scope`.
 * Descriptions never contain a token or a secret.
 */

export type OidcErrorCode = "invalid_request" | "invalid_token" | "insufficient_scope" | "invalid_client";

export class OidcError extends Error {
  override name = "OidcError";
  constructor(
    readonly status: 400 | 401 | 403,
    readonly code: OidcErrorCode | undefined,
    readonly description: string,
  ) {
    super(description);
  }

  /** The WWW-Authenticate header value (quotes and backslashes in the description are escaped). */
  challenge(realm = "gatehouse"): string {
    const q = (s: string) => s.replace(/[\\"]/g, "\\$&").replace(/[\r\n]/g, " ");
    const parts = [`realm="${q(realm)}"`];
    if (this.code) parts.push(`error="${this.code}"`, `error_description="${q(this.description)}"`);
    return `Bearer ${parts.join(", ")}`;
  }
}

/** 401: no usable credential (no error code, per RFC 6750 3.1 when the request lacks one). */
export const unauthorized = (description: string) => new OidcError(401, undefined, description);
/** 401 invalid_token. */
export const invalidToken = (description: string) => new OidcError(401, "invalid_token", description);
/** 403 insufficient_scope. */
export const insufficientScope = (description: string) => new OidcError(403, "insufficient_scope", description);
