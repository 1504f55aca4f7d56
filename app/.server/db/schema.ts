/**
 * The typed Database interface for kysely, mirroring migrations/.
 *
 * jsonb columns are `Json<T>`: selected as T, but written only as a JSON string
 * (use `json(value)`), because `pg` would turn a JS array into a PostgreSQL array
 * literal. The type makes that mistake fail to compile.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

export type Json<T> = ColumnType<T, string, string>;
export type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
export type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;
/** Timestamps: selected as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Default<T> = ColumnType<T, T | undefined, T>;

export function json(value: unknown): string {
  return JSON.stringify(value);
}

export interface ServicesTable {
  id: string;
  name: string | null;
  protocol: Default<"http" | "https">;
  host: string;
  port: Default<number>;
  path: string | null;
  retries: Default<number>;
  connect_timeout: Default<number>;
  write_timeout: Default<number>;
  read_timeout: Default<number>;
  enabled: Default<boolean>;
  tags: JsonWithDefault<string[]>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface RoutesTable {
  id: string;
  name: string | null;
  service_id: string | null;
  protocols: JsonWithDefault<string[]>;
  methods: NullableJson<string[]>;
  hosts: NullableJson<string[]>;
  paths: NullableJson<string[]>;
  headers: NullableJson<Record<string, string[]>>;
  strip_path: Default<boolean>;
  preserve_host: Default<boolean>;
  regex_priority: Default<number>;
  path_handling: Default<"v0" | "v1">;
  https_redirect_status_code: Default<number>;
  request_buffering: Default<boolean>;
  response_buffering: Default<boolean>;
  tags: JsonWithDefault<string[]>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export type IdpMode = "builtin" | "dcr" | "manual";
export type IdpProvider = "generic" | "builtin" | "okta" | "keycloak" | "auth0" | "entra";

export interface IdpConnectionsTable {
  id: string;
  name: string;
  issuer: string;
  mode: IdpMode;
  provider: Default<IdpProvider>;
  registration_endpoint: string | null;
  initial_access_token_enc: string | null;
  application_claim: Default<string>;
  discovery: NullableJson<Record<string, unknown>>;
  discovered_at: NullableTimestamp;
  enabled: Default<boolean>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface ConsumersTable {
  id: string;
  username: string | null;
  custom_id: string | null;
  type: Default<"proxy" | "application">;
  idp_connection_id: string | null;
  tags: JsonWithDefault<string[]>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface PluginsTable {
  id: string;
  name: string;
  instance_name: string | null;
  config: JsonWithDefault<Record<string, unknown>>;
  service_id: string | null;
  route_id: string | null;
  consumer_id: string | null;
  protocols: JsonWithDefault<string[]>;
  enabled: Default<boolean>;
  tags: JsonWithDefault<string[]>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface AclsTable {
  id: string;
  consumer_id: string;
  group: string;
  tags: JsonWithDefault<string[]>;
  created_at: TimestampDefault;
}

export type DeveloperStatus = "requested" | "approved" | "rejected" | "revoked";

export interface DevelopersTable {
  id: string;
  email: string;
  full_name: Default<string>;
  meta: JsonWithDefault<Record<string, unknown>>;
  password_hash: string;
  status: Default<DeveloperStatus>;
  email_verified_at: NullableTimestamp;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export type AdminRole = "super-admin" | "admin" | "read-only";

export interface AdminsTable {
  id: string;
  email: string;
  password_hash: string;
  role: Default<AdminRole>;
  last_login_at: NullableTimestamp;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value. */
  id: string;
  developer_id: string | null;
  admin_id: string | null;
  csrf_secret: string;
  user_agent: string | null;
  created_at: TimestampDefault;
  last_seen_at: TimestampDefault;
  expires_at: Timestamp;
}

export interface DeveloperTokensTable {
  token_hash: string;
  developer_id: string;
  purpose: "password_reset" | "email_verification";
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: TimestampDefault;
}

export type ClientStatus = "pending" | "active" | "failed" | "deleting";

export interface ApplicationsTable {
  id: string;
  developer_id: string;
  name: string;
  description: Default<string>;
  redirect_uris: JsonWithDefault<string[]>;
  idp_connection_id: string;
  client_id: string | null;
  client_status: Default<ClientStatus>;
  client_error: string | null;
  consumer_id: string | null;
  registration_client_uri: string | null;
  registration_access_token_enc: string | null;
  /** A client secret the IdP issued, kept encrypted only until the developer has seen it once. */
  client_secret_enc: string | null;
  proof_of_possession_at: NullableTimestamp;
  meta: JsonWithDefault<Record<string, unknown>>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export type InstanceStatus = "pending" | "approved" | "rejected" | "revoked";

export interface ApplicationInstancesTable {
  id: string;
  application_id: string;
  service_id: string;
  status: Default<InstanceStatus>;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  reason: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface ServiceSpecsTable {
  id: string;
  service_id: string;
  filename: string | null;
  content_type: Default<string>;
  content: string;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface SettingsTable {
  key: string;
  value: Json<unknown>;
  updated_at: TimestampDefault;
}

export type OutboxStatus = "pending" | "running" | "done" | "failed";

export interface IdpOutboxTable {
  id: Generated<number>;
  application_id: string | null;
  idp_connection_id: string;
  action: "create_client" | "update_client" | "delete_client" | "rotate_secret";
  payload: JsonWithDefault<Record<string, unknown>>;
  secret_enc: string | null;
  status: Default<OutboxStatus>;
  attempts: Default<number>;
  last_error: string | null;
  next_attempt_at: TimestampDefault;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface EmailOutboxTable {
  id: Generated<number>;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  template: string;
  status: Default<"pending" | "sent" | "failed" | "kept">;
  attempts: Default<number>;
  last_error: string | null;
  created_at: TimestampDefault;
  sent_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: TimestampDefault;
  actor_type: "admin" | "developer" | "admin_api" | "system";
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  details: JsonWithDefault<Record<string, unknown>>;
}

export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post" | "private_key_jwt" | "none";

export interface OAuthClientsTable {
  id: string;
  client_id: string;
  client_secret_hash: string | null;
  client_secret_expires_at: NullableTimestamp;
  previous_secret_hash: string | null;
  previous_secret_expires_at: NullableTimestamp;
  client_name: string | null;
  token_endpoint_auth_method: Default<TokenEndpointAuthMethod>;
  jwks: NullableJson<{ keys: Record<string, unknown>[] }>;
  jwks_uri: string | null;
  grant_types: JsonWithDefault<string[]>;
  response_types: JsonWithDefault<string[]>;
  redirect_uris: JsonWithDefault<string[]>;
  post_logout_redirect_uris: JsonWithDefault<string[]>;
  scope: string | null;
  metadata: JsonWithDefault<Record<string, unknown>>;
  registration_access_token_hash: string | null;
  application_id: string | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface InitialAccessTokensTable {
  id: string;
  token_hash: string;
  description: string | null;
  expires_at: NullableTimestamp;
  uses_remaining: number | null;
  created_at: TimestampDefault;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  developer_id: string;
  redirect_uri: string;
  scope: string | null;
  resource: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  nonce: string | null;
  auth_time: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: TimestampDefault;
}

export interface RefreshTokensTable {
  token_hash: string;
  id: string;
  family_id: string;
  rotated_from: string | null;
  client_id: string;
  developer_id: string | null;
  scope: string | null;
  resource: string | null;
  auth_time: NullableTimestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: TimestampDefault;
}

export type SigningKeyState = "next" | "active" | "retired";

export interface SigningKeysTable {
  kid: string;
  alg: "ES256" | "RS256" | "PS256" | "EdDSA" | "ES384";
  private_jwk_enc: string;
  public_jwk: Json<Record<string, unknown>>;
  state: SigningKeyState;
  created_at: TimestampDefault;
  activated_at: NullableTimestamp;
  retired_at: NullableTimestamp;
  not_after: NullableTimestamp;
}

export interface RevokedTokensTable {
  jti: string;
  exp: Timestamp;
  revoked_at: TimestampDefault;
}

export interface OAuthConsentsTable {
  developer_id: string;
  client_id: string;
  scope: Default<string>;
  created_at: TimestampDefault;
}

export interface ConfigVersionTable {
  id: number;
  version: number;
  updated_at: TimestampDefault;
}

export interface Database {
  services: ServicesTable;
  routes: RoutesTable;
  idp_connections: IdpConnectionsTable;
  consumers: ConsumersTable;
  plugins: PluginsTable;
  acls: AclsTable;
  developers: DevelopersTable;
  admins: AdminsTable;
  sessions: SessionsTable;
  developer_tokens: DeveloperTokensTable;
  applications: ApplicationsTable;
  application_instances: ApplicationInstancesTable;
  service_specs: ServiceSpecsTable;
  settings: SettingsTable;
  idp_outbox: IdpOutboxTable;
  email_outbox: EmailOutboxTable;
  audit_log: AuditLogTable;
  oauth_clients: OAuthClientsTable;
  initial_access_tokens: InitialAccessTokensTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  revoked_tokens: RevokedTokensTable;
  oauth_consents: OAuthConsentsTable;
  config_version: ConfigVersionTable;
}

export type Service = Selectable<ServicesTable>;
export type Route = Selectable<RoutesTable>;
export type Consumer = Selectable<ConsumersTable>;
export type Plugin = Selectable<PluginsTable>;
export type Acl = Selectable<AclsTable>;
export type IdpConnection = Selectable<IdpConnectionsTable>;
export type Developer = Selectable<DevelopersTable>;
export type Admin = Selectable<AdminsTable>;
export type Application = Selectable<ApplicationsTable>;
export type ApplicationInstance = Selectable<ApplicationInstancesTable>;
export type OAuthClient = Selectable<OAuthClientsTable>;
export type NewOAuthClient = Insertable<OAuthClientsTable>;
export type SigningKey = Selectable<SigningKeysTable>;
export type ApplicationUpdate = Updateable<ApplicationsTable>;
