/**
 * The generic dynamic client registration adapter: RFC 7591 (register) and
 * RFC 7592 (read, update, delete) with an optional initial access token.
 * RFC 7592 has no secret rotation, so this adapter reports it as unsupported;
 * per-provider adapters (Okta's API rotates secrets) can extend it.
 */
import { allowListed, IdpCallError, type ClientMetadata, type ClientRef, type IdpAdapter, type RegisteredClient } from "./types";

export interface DcrOptions {
  registrationEndpoint: string;
  initialAccessToken?: string | null;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

function describe(status: number, body: unknown): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (typeof b.error === "string") return `${status} ${b.error}${typeof b.error_description === "string" ? `: ${b.error_description}` : ""}`;
  }
  return String(status);
}

export class GenericDcrAdapter implements IdpAdapter {
  readonly kind: string = "rfc7591";
  readonly supportsRotation: boolean = false;

  constructor(protected readonly opts: DcrOptions) {}

  protected async call(method: string, url: string, token: string | null | undefined, body?: unknown): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "error",
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new IdpCallError(`${method} ${url}: the IdP could not be reached (${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message})`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text.slice(0, 200);
      }
    }
    return { status: res.status, body: parsed };
  }

  protected parseClient(body: unknown, what: string): RegisteredClient {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b.client_id !== "string" || !b.client_id) throw new IdpCallError(`${what}: the IdP's answer has no client_id (RFC 7591 section 3.2.1)`, undefined, false);
    return {
      client_id: b.client_id,
      client_secret: typeof b.client_secret === "string" ? b.client_secret : undefined,
      registration_client_uri: typeof b.registration_client_uri === "string" ? b.registration_client_uri : null,
      registration_access_token: typeof b.registration_access_token === "string" ? b.registration_access_token : null,
    };
  }

  async create(metadata: ClientMetadata): Promise<RegisteredClient> {
    const r = await this.call("POST", this.opts.registrationEndpoint, this.opts.initialAccessToken, allowListed(metadata));
    if (r.status !== 201 && r.status !== 200) {
      throw new IdpCallError(`client registration refused: ${describe(r.status, r.body)}`, r.status, r.status >= 500 || r.status === 429);
    }
    return this.parseClient(r.body, "client registration");
  }

  #managed(ref: ClientRef): { uri: string; token: string } {
    if (!ref.registration_client_uri || !ref.registration_access_token) {
      throw new IdpCallError("the IdP did not return a registration_client_uri and registration_access_token (RFC 7592), so the client cannot be managed from the portal", undefined, false);
    }
    return { uri: ref.registration_client_uri, token: ref.registration_access_token };
  }

  async update(ref: ClientRef, metadata: ClientMetadata): Promise<RegisteredClient> {
    const m = this.#managed(ref);
    // RFC 7592 section 2.2: the body carries the client_id and replaces the metadata
    const r = await this.call("PUT", m.uri, m.token, { ...allowListed(metadata), client_id: ref.client_id });
    if (r.status !== 200) throw new IdpCallError(`client update refused: ${describe(r.status, r.body)}`, r.status, r.status >= 500 || r.status === 429);
    const c = this.parseClient(r.body, "client update");
    return { ...c, registration_client_uri: c.registration_client_uri ?? m.uri };
  }

  async delete(ref: ClientRef): Promise<void> {
    const m = this.#managed(ref);
    const r = await this.call("DELETE", m.uri, m.token);
    // 404: already gone. RFC 7592 section 2.3 answers 204 (some IdPs 200)
    if (r.status === 204 || r.status === 200 || r.status === 404 || r.status === 410) return;
    throw new IdpCallError(`client deletion refused: ${describe(r.status, r.body)}`, r.status, r.status >= 500 || r.status === 429);
  }

  /** RFC 7592 read (used by tests and diagnostics). */
  async read(ref: ClientRef): Promise<Record<string, unknown> | undefined> {
    const m = this.#managed(ref);
    const r = await this.call("GET", m.uri, m.token);
    if (r.status === 200) return r.body as Record<string, unknown>;
    if (r.status === 401 || r.status === 404) return undefined;
    throw new IdpCallError(`client read refused: ${describe(r.status, r.body)}`, r.status);
  }
}
