/**
 * The interface every IdP adapter implements (builtin, generic RFC 7591/7592 DCR,
 * and room for per-provider adapters such as Okta's own apps API).
 */

/** The only client metadata that reaches an IdP: built by the portal from allow-listed application fields. */
export interface ClientMetadata {
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: "client_secret_basic" | "client_secret_post";
}

export const ALLOWED_METADATA: readonly (keyof ClientMetadata)[] = [
  "client_name",
  "redirect_uris",
  "grant_types",
  "response_types",
  "token_endpoint_auth_method",
];

/** Where a registered client lives at the IdP (RFC 7592's management handle). */
export interface ClientRef {
  client_id: string;
  registration_client_uri?: string | null;
  registration_access_token?: string | null;
}

export interface RegisteredClient {
  client_id: string;
  /** Issued secret: shown to the developer once, then forgotten. */
  client_secret?: string;
  registration_client_uri?: string | null;
  /** A new registration access token: stored (encrypted) before anything else happens. */
  registration_access_token?: string | null;
}

export interface IdpAdapter {
  readonly kind: string;
  /** True when the adapter can issue a new secret for an existing client. */
  readonly supportsRotation: boolean;
  create(metadata: ClientMetadata): Promise<RegisteredClient>;
  update(ref: ClientRef, metadata: ClientMetadata): Promise<RegisteredClient>;
  /** Resolves when the client is gone (also when it was already gone). */
  delete(ref: ClientRef): Promise<void>;
  rotateSecret?(ref: ClientRef, metadata: ClientMetadata): Promise<RegisteredClient>;
}

/** An IdP answered with an error (status, RFC 6749/7591 error code) or could not be reached. */
export class IdpCallError extends Error {
  override name = "IdpCallError";
  constructor(
    message: string,
    readonly status?: number,
    /** false when retrying cannot help (for example invalid_client_metadata). */
    readonly retryable = true,
  ) {
    super(message);
  }
}

/** Picks only the allow-listed metadata (defence in depth: nothing else reaches an IdP). */
export function allowListed(m: ClientMetadata): ClientMetadata {
  const out = {} as Record<string, unknown>;
  for (const k of ALLOWED_METADATA) if (m[k] !== undefined) out[k] = m[k];
  return out as unknown as ClientMetadata;
}
