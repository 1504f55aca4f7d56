/**
 * The config snapshot: everything a data plane enforces, in one versioned
 * document. The control plane builds it in one REPEATABLE READ transaction
 * together with config_version; a DB-less data plane builds the same shape from
 * a declarative file. Data planes never touch the database.
 *
 * It carries secrets (plugin client secrets, the session secret): data planes
 * store it on disk with mode 0600 only.
 */
import type { Acl, ApplicationInstanceStatus, Consumer, Plugin, Route, Service } from "./entities";

export const SNAPSHOT_FORMAT_VERSION = 1;

/** A portal application, as the gateway needs it to resolve tokens. */
export interface SnapshotApplication {
  id: string;
  name: string;
  /** null while the IdP has not registered its client yet. */
  client_id: string | null;
  /** The consumer of type `application` this application owns. */
  consumer_id: string | null;
  idp_connection_id: string;
  developer_id: string;
}

/** Registration state, for 403 messages only: access itself comes from ACLs. */
export interface SnapshotApplicationInstance {
  application_id: string;
  service_id: string;
  status: ApplicationInstanceStatus;
}

export interface SnapshotIdpConnection {
  id: string;
  name: string;
  /** The issuer identifier (`iss` of its tokens). */
  issuer: string;
  mode: "builtin" | "dcr" | "manual";
  /** The token claim naming the application (client_id), e.g. application_id, azp, appid. */
  application_claim: string;
}

export interface JsonWebKeySet {
  keys: Record<string, unknown>[];
}

export interface Snapshot {
  format_version: typeof SNAPSHOT_FORMAT_VERSION;
  /** config_version: moves on every write a data plane enforces. */
  version: number;
  generated_at: string;
  services: Service[];
  routes: Route[];
  plugins: Plugin[];
  consumers: Consumer[];
  acls: Acl[];
  applications: SnapshotApplication[];
  application_instances: SnapshotApplicationInstance[];
  idp_connections: SnapshotIdpConnection[];
  /** The built-in issuer: its identifier and public keys (next, active and unexpired retired), so data planes need not reach PUBLIC_URL. */
  builtin_issuer: { issuer: string; jwks: JsonWebKeySet } | null;
  /** Revoked access-token ids of the built-in issuer, until they expire (exp in seconds). */
  revoked_tokens: { jti: string; exp: number }[];
  /** Secret shared by every data plane for openid-connect session cookies when a plugin sets none. */
  session_secret: string;
}

/** An empty snapshot (a DB-less file may leave everything out). */
export function emptySnapshot(version = 0): Snapshot {
  return {
    format_version: SNAPSHOT_FORMAT_VERSION,
    version,
    generated_at: new Date().toISOString(),
    services: [],
    routes: [],
    plugins: [],
    consumers: [],
    acls: [],
    applications: [],
    application_instances: [],
    idp_connections: [],
    builtin_issuer: null,
    revoked_tokens: [],
    session_secret: "",
  };
}
