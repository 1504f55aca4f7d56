/**
 * The plugin runtime interface. A plugin is a folder gateway/plugins/<name>/
 * whose handler.ts default-exports a PluginHandler; its config schema lives in
 * gateway/contract/plugins/<name>.ts. registry.ts lists the handlers.
 *
 * Lifecycle: `create(plugin, env)` runs once per (plugin id, config version),
 * off the hot path, when a snapshot is applied; the instance it returns may hold
 * caches for as long as that snapshot is in use. Phases run per request in
 * priority order (higher first): access, then (after the upstream answered)
 * header_filter, then log.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import type { Consumer, Plugin, Route, Service } from "../contract/entities";
import type {
  JsonWebKeySet,
  Snapshot,
  SnapshotApplication,
  SnapshotApplicationInstance,
  SnapshotIdpConnection,
} from "../contract/snapshot";
import type { Logger } from "../../lib/log";

/** Read-only indexes over the snapshot in force, built once per snapshot. */
export interface SnapshotView {
  readonly version: number;
  readonly snapshot: Snapshot;
  consumerById(id: string): Consumer | undefined;
  consumerByUsername(username: string): Consumer | undefined;
  /**
   * A consumer by custom_id. Proxy consumers are matched globally; application
   * consumers only together with their IdP connection's issuer (a client_id is
   * unique per issuer, not globally), so pass the token's `iss` to find them.
   */
  consumerByCustomId(customId: string, issuer?: string): Consumer | undefined;
  /** The groups of a consumer's stored ACLs (empty when none). */
  aclGroups(consumerId: string): readonly string[];
  applicationByClientId(idpConnectionId: string, clientId: string): SnapshotApplication | undefined;
  applicationByConsumerId(consumerId: string): SnapshotApplication | undefined;
  applicationInstance(applicationId: string, serviceId: string): SnapshotApplicationInstance | undefined;
  /** Enabled IdP connections whose issuer is exactly `issuer`. */
  idpConnectionsByIssuer(issuer: string): readonly SnapshotIdpConnection[];
  readonly builtinIssuer: { issuer: string; jwks: JsonWebKeySet } | null;
  isRevoked(jti: string): boolean;
  readonly sessionSecret: string;
}

export interface PluginEnv {
  view: SnapshotView;
  log: Logger;
  /** For outbound calls (discovery, JWKS, introspection): a shared undici agent. */
  dispatcher: Dispatcher;
}

/** Upstream request headers, mutable by plugins (names are case-insensitive). */
export interface HeaderMap {
  get(name: string): string | undefined;
  set(name: string, value: string | string[]): void;
  remove(name: string): void;
  has(name: string): boolean;
}

/** An answer given by a plugin instead of proxying. */
export interface PluginResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** An object is sent as JSON. */
  body?: string | Buffer | Record<string, unknown>;
}

export interface RequestContext {
  readonly method: string;
  /** The request path as received (no query string). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The client's request headers, as received (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** Headers that go upstream; plugins set and remove here. */
  readonly upstreamHeaders: HeaderMap;
  readonly route: Route;
  readonly service: Service | null;
  readonly clientIp: string;
  readonly view: SnapshotView;
  /** The consumer identified by an auth plugin (null until one does). */
  readonly consumer: Consumer | null;
  readonly credentialIdentifier: string | null;
  /**
   * Sets the authenticated consumer, and Kong's upstream headers X-Consumer-ID,
   * X-Consumer-Username, X-Consumer-Custom-ID, X-Credential-Identifier (and
   * X-Anonymous-Consumer: true when `anonymous`).
   */
  setConsumer(consumer: Consumer | null, credentialIdentifier?: string | null, opts?: { anonymous?: boolean }): void;
  /** Groups from a token claim (openid-connect authenticated_groups_claim), for acl. */
  authenticated_groups: string[] | null;
  readonly anonymous: boolean;
  /**
   * Data passed between plugins of one request. Convention: openid-connect,
   * after verifying a token, sets
   * `shared.oidc = { issuer: string, claims: Record<string, unknown>, token: string }`.
   */
  shared: Record<string, unknown>;
  /** Headers added to the response sent to the client. */
  responseHeaders: Record<string, string | string[]>;
  /**
   * Reads the whole request body (up to `limit` bytes, default 1 MiB) and sends
   * that buffer upstream instead of streaming. Only for plugins that must see
   * the body (a token in a form field); undefined when the body is larger.
   */
  readBody(limit?: number): Promise<Buffer | undefined>;
  /** Replaces the query string sent upstream (e.g. hide_credentials removing access_token). */
  setUpstreamQuery(query: URLSearchParams | string): void;
  /** Replaces the body sent upstream (Content-Length follows); implies the body was read. */
  setUpstreamBody(body: Buffer): void;
}

export interface UpstreamResponseInfo {
  status: number;
  /** Response headers going to the client; mutable in header_filter. */
  headers: Record<string, string | string[] | undefined>;
}

export interface LogInfo {
  status: number;
  /** Total time from request start to response end, in milliseconds. */
  latency_ms: number;
  /** Time spent waiting for the upstream (null when not proxied). */
  upstream_latency_ms: number | null;
}

export interface PluginInstance {
  access?(ctx: RequestContext): void | PluginResponse | Promise<void | PluginResponse>;
  header_filter?(ctx: RequestContext, res: UpstreamResponseInfo): void | Promise<void>;
  log?(ctx: RequestContext, info: LogInfo): void | Promise<void>;
  /** Called when the instance is replaced by a new snapshot. */
  close?(): void;
}

export interface PluginHandler {
  name: string;
  /** Must equal the schema's priority (gateway/contract/plugins). */
  priority: number;
  create(plugin: Plugin, env: PluginEnv): PluginInstance;
}
