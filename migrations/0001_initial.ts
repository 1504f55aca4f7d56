/**
 * The initial schema: every table of DESIGN.md's data model (gateway entities,
 * portal, issuer). Append-only once landed: later changes get their own file.
 * Plain SQL both PostgreSQL 15 and PGlite (PostgreSQL 18) accept.
 */
import { sql, type Kysely } from "kysely";

const ts = "timestamptz not null default now()";
const tags = "jsonb not null default '[]'::jsonb";

const statements = [
  // ---- gateway entities (Kong-shaped) ----
  `create table services (
    id uuid primary key,
    name text unique,
    protocol text not null default 'http' check (protocol in ('http','https')),
    host text not null,
    port integer not null default 80 check (port between 1 and 65535),
    path text,
    retries integer not null default 5 check (retries between 0 and 32767),
    connect_timeout integer not null default 60000 check (connect_timeout >= 1),
    write_timeout integer not null default 60000 check (write_timeout >= 1),
    read_timeout integer not null default 60000 check (read_timeout >= 1),
    enabled boolean not null default true,
    tags ${tags},
    created_at ${ts},
    updated_at ${ts}
  )`,
  `create table routes (
    id uuid primary key,
    name text unique,
    service_id uuid references services(id) on delete restrict,
    protocols jsonb not null default '["http","https"]'::jsonb,
    methods jsonb,
    hosts jsonb,
    paths jsonb,
    headers jsonb,
    strip_path boolean not null default true,
    preserve_host boolean not null default false,
    regex_priority integer not null default 0,
    path_handling text not null default 'v0' check (path_handling in ('v0','v1')),
    https_redirect_status_code integer not null default 426,
    request_buffering boolean not null default true,
    response_buffering boolean not null default true,
    tags ${tags},
    created_at ${ts},
    updated_at ${ts}
  )`,
  `create index routes_service_id on routes(service_id)`,

  // ---- identity providers ----
  `create table idp_connections (
    id uuid primary key,
    name text not null unique,
    issuer text not null unique,
    mode text not null check (mode in ('builtin','dcr','manual')),
    provider text not null default 'generic'
      check (provider in ('generic','builtin','okta','keycloak','auth0','entra')),
    registration_endpoint text,
    initial_access_token_enc text,
    application_claim text not null default 'application_id',
    discovery jsonb,
    discovered_at timestamptz,
    enabled boolean not null default true,
    created_at ${ts},
    updated_at ${ts}
  )`,

  `create table consumers (
    id uuid primary key,
    username text unique,
    custom_id text,
    type text not null default 'proxy' check (type in ('proxy','application')),
    idp_connection_id uuid references idp_connections(id) on delete restrict,
    tags ${tags},
    created_at ${ts},
    updated_at ${ts},
    check (username is not null or custom_id is not null),
    check ((type = 'application') = (idp_connection_id is not null))
  )`,
  // custom_id is unique globally for proxy consumers, per issuer for application consumers
  `create unique index consumers_custom_id_proxy on consumers(custom_id) where type = 'proxy'`,
  `create unique index consumers_custom_id_application on consumers(idp_connection_id, custom_id)
    where type = 'application'`,

  `create table plugins (
    id uuid primary key,
    name text not null,
    instance_name text unique,
    config jsonb not null default '{}'::jsonb,
    service_id uuid references services(id) on delete cascade,
    route_id uuid references routes(id) on delete cascade,
    consumer_id uuid references consumers(id) on delete cascade,
    protocols jsonb not null default '["grpc","grpcs","http","https"]'::jsonb,
    enabled boolean not null default true,
    tags ${tags},
    created_at ${ts},
    updated_at ${ts}
  )`,
  // one plugin of a name per scope (Kong's cache_key)
  `create unique index plugins_scope on plugins(name, service_id, route_id, consumer_id) nulls not distinct`,
  `create index plugins_service_id on plugins(service_id)`,
  `create index plugins_route_id on plugins(route_id)`,

  `create table acls (
    id uuid primary key,
    consumer_id uuid not null references consumers(id) on delete cascade,
    "group" text not null,
    tags ${tags},
    created_at ${ts},
    unique (consumer_id, "group")
  )`,

  // ---- portal ----
  `create table developers (
    id uuid primary key,
    email text not null,
    full_name text not null default '',
    meta jsonb not null default '{}'::jsonb,
    password_hash text not null,
    status text not null default 'requested'
      check (status in ('requested','approved','rejected','revoked')),
    email_verified_at timestamptz,
    created_at ${ts},
    updated_at ${ts}
  )`,
  `create unique index developers_email on developers(lower(email))`,

  `create table admins (
    id uuid primary key,
    email text not null,
    password_hash text not null,
    role text not null default 'admin' check (role in ('super-admin','admin','read-only')),
    last_login_at timestamptz,
    created_at ${ts},
    updated_at ${ts}
  )`,
  `create unique index admins_email on admins(lower(email))`,

  // the session id column holds the SHA-256 of the cookie value, never the value
  `create table sessions (
    id text primary key,
    developer_id uuid references developers(id) on delete cascade,
    admin_id uuid references admins(id) on delete cascade,
    csrf_secret text not null,
    user_agent text,
    created_at ${ts},
    last_seen_at ${ts},
    expires_at timestamptz not null,
    check ((developer_id is null) <> (admin_id is null))
  )`,
  `create index sessions_developer_id on sessions(developer_id)`,
  `create index sessions_admin_id on sessions(admin_id)`,
  `create index sessions_expires_at on sessions(expires_at)`,

  // one-time tokens sent by email (password reset, email verification), stored hashed
  `create table developer_tokens (
    token_hash text primary key,
    developer_id uuid not null references developers(id) on delete cascade,
    purpose text not null check (purpose in ('password_reset','email_verification')),
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at ${ts}
  )`,
  `create index developer_tokens_developer_id on developer_tokens(developer_id)`,

  `create table applications (
    id uuid primary key,
    developer_id uuid not null references developers(id) on delete cascade,
    name text not null,
    description text not null default '',
    redirect_uris jsonb not null default '[]'::jsonb,
    idp_connection_id uuid not null references idp_connections(id) on delete restrict,
    client_id text,
    client_status text not null default 'active'
      check (client_status in ('pending','active','failed','deleting')),
    client_error text,
    consumer_id uuid unique references consumers(id) on delete set null,
    registration_client_uri text,
    registration_access_token_enc text,
    client_secret_enc text,
    proof_of_possession_at timestamptz,
    meta jsonb not null default '{}'::jsonb,
    created_at ${ts},
    updated_at ${ts},
    unique (developer_id, name)
  )`,
  // a client_id is unique per issuer, not globally
  `create unique index applications_client_id on applications(idp_connection_id, client_id)
    where client_id is not null`,

  `create table application_instances (
    id uuid primary key,
    application_id uuid not null references applications(id) on delete cascade,
    service_id uuid not null references services(id) on delete cascade,
    status text not null default 'pending'
      check (status in ('pending','approved','rejected','revoked')),
    decided_by text,
    decided_at timestamptz,
    reason text,
    created_at ${ts},
    updated_at ${ts},
    unique (application_id, service_id)
  )`,
  `create index application_instances_service_id on application_instances(service_id, status)`,

  `create table service_specs (
    id uuid primary key,
    service_id uuid not null unique references services(id) on delete cascade,
    filename text,
    content_type text not null default 'application/json',
    content text not null,
    created_at ${ts},
    updated_at ${ts}
  )`,

  `create table settings (
    key text primary key,
    value jsonb not null,
    updated_at ${ts}
  )`,

  // IdP calls wait here until they succeed (or an admin sees them failed)
  `create table idp_outbox (
    id integer generated always as identity primary key,
    application_id uuid,
    idp_connection_id uuid not null references idp_connections(id) on delete cascade,
    action text not null check (action in ('create_client','update_client','delete_client','rotate_secret')),
    payload jsonb not null default '{}'::jsonb,
    secret_enc text,
    status text not null default 'pending' check (status in ('pending','running','done','failed')),
    attempts integer not null default 0,
    last_error text,
    next_attempt_at ${ts},
    created_at ${ts},
    updated_at ${ts}
  )`,
  `create index idp_outbox_due on idp_outbox(status, next_attempt_at)`,
  `create index idp_outbox_application on idp_outbox(application_id, id)`,

  `create table email_outbox (
    id integer generated always as identity primary key,
    to_address text not null,
    subject text not null,
    text_body text not null,
    html_body text,
    template text not null,
    status text not null default 'pending' check (status in ('pending','sent','failed','kept')),
    attempts integer not null default 0,
    last_error text,
    created_at ${ts},
    sent_at timestamptz
  )`,
  `create index email_outbox_status on email_outbox(status, id)`,

  `create table audit_log (
    id integer generated always as identity primary key,
    at ${ts},
    actor_type text not null check (actor_type in ('admin','developer','admin_api','system')),
    actor_id text,
    actor_label text,
    action text not null,
    target_type text not null,
    target_id text,
    details jsonb not null default '{}'::jsonb
  )`,
  `create index audit_log_target on audit_log(target_type, target_id)`,
  `create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end
  $$`,
  `create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_append_only()`,

  // ---- the built-in issuer ----
  `create table oauth_clients (
    id uuid primary key,
    client_id text not null unique,
    client_secret_hash text,
    client_secret_expires_at timestamptz,
    previous_secret_hash text,
    previous_secret_expires_at timestamptz,
    client_name text,
    token_endpoint_auth_method text not null default 'client_secret_basic'
      check (token_endpoint_auth_method in ('client_secret_basic','client_secret_post','private_key_jwt','none')),
    jwks jsonb,
    jwks_uri text,
    grant_types jsonb not null default '["client_credentials"]'::jsonb,
    response_types jsonb not null default '[]'::jsonb,
    redirect_uris jsonb not null default '[]'::jsonb,
    post_logout_redirect_uris jsonb not null default '[]'::jsonb,
    scope text,
    metadata jsonb not null default '{}'::jsonb,
    registration_access_token_hash text,
    application_id uuid references applications(id) on delete set null,
    created_at ${ts},
    updated_at ${ts}
  )`,

  `create table initial_access_tokens (
    id uuid primary key,
    token_hash text not null unique,
    description text,
    expires_at timestamptz,
    uses_remaining integer,
    created_at ${ts}
  )`,

  `create table authorization_codes (
    code_hash text primary key,
    client_id text not null references oauth_clients(client_id) on delete cascade,
    developer_id uuid not null references developers(id) on delete cascade,
    redirect_uri text not null,
    scope text,
    resource text,
    code_challenge text,
    code_challenge_method text,
    nonce text,
    auth_time timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at ${ts}
  )`,

  `create table refresh_tokens (
    token_hash text primary key,
    id uuid not null unique,
    family_id uuid not null,
    rotated_from uuid,
    client_id text not null references oauth_clients(client_id) on delete cascade,
    developer_id uuid references developers(id) on delete cascade,
    scope text,
    resource text,
    auth_time timestamptz,
    expires_at timestamptz not null,
    used_at timestamptz,
    revoked_at timestamptz,
    created_at ${ts}
  )`,
  `create index refresh_tokens_family on refresh_tokens(family_id)`,

  `create table signing_keys (
    kid text primary key,
    alg text not null check (alg in ('ES256','RS256','PS256','EdDSA','ES384')),
    private_jwk_enc text not null,
    public_jwk jsonb not null,
    state text not null check (state in ('next','active','retired')),
    created_at ${ts},
    activated_at timestamptz,
    retired_at timestamptz,
    not_after timestamptz
  )`,

  `create table revoked_tokens (
    jti text primary key,
    exp timestamptz not null,
    revoked_at ${ts}
  )`,
  `create index revoked_tokens_exp on revoked_tokens(exp)`,

  `create table oauth_consents (
    developer_id uuid not null references developers(id) on delete cascade,
    client_id text not null references oauth_clients(client_id) on delete cascade,
    scope text not null default '',
    created_at ${ts},
    primary key (developer_id, client_id)
  )`,

  // ---- config sync: bumped in the same transaction as every write a data plane enforces ----
  `create table config_version (
    id integer primary key check (id = 1),
    version integer not null,
    updated_at ${ts}
  )`,
  `insert into config_version (id, version) values (1, 1)`,
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  const tables = [
    "config_version", "oauth_consents", "revoked_tokens", "signing_keys", "refresh_tokens",
    "authorization_codes", "initial_access_tokens", "oauth_clients", "audit_log", "email_outbox",
    "idp_outbox", "settings", "service_specs", "application_instances", "applications",
    "developer_tokens", "sessions", "admins", "developers", "acls", "plugins", "consumers",
    "idp_connections", "routes", "services",
  ];
  for (const t of tables) await sql.raw(`drop table if exists ${t} cascade`).execute(db);
  await sql.raw("drop function if exists audit_log_append_only()").execute(db);
}
