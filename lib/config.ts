/**
 * Configuration from the environment, validated at start. A bad value throws a
 * ConfigError whose message is one line naming the variable and what it accepts;
 * the CLI prints that line and exits non-zero.
 *
 * Shared by the control plane and the data plane (this folder imports nothing
 * from app/ or gateway/).
 */
import path from "node:path";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Listen {
  host: string;
  port: number;
}

export type GatehouseEnv = "development" | "production";

export interface Config {
  env: GatehouseEnv;
  dataDir: string;
  databaseUrl: string | undefined;
  listen: { portal: Listen; admin: Listen; cluster: Listen; proxy: Listen; status: Listen };
  /** Unset means http://localhost:<portal port>, fixed once the portal listens. */
  publicUrl: string | undefined;
  /** Unset means http://localhost:<proxy port>. */
  proxyUrl: string | undefined;
  secret: string | undefined;
  previousSecrets: string[];
  adminToken: string | undefined;
  clusterToken: string | undefined;
  adminEmail: string;
  adminPassword: string | undefined;
  adminAllowedHosts: string[];
  issuer: {
    audience: string | undefined;
    accessTokenTtl: number;
    signingAlg: "ES256" | "RS256";
    applicationClaim: string;
  };
  smtpUrl: string | undefined;
  smtpFrom: string;
  templatesDir: string | undefined;
  demoUpstreamListen: Listen;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  logFormat: "json" | "pretty" | undefined;
}

/** Every variable Gatehouse reads, its default and what it accepts (README is generated from the same words). */
export const ENV_DOC: { name: string; default: string; doc: string }[] = [
  { name: "GATEHOUSE_ENV", default: "development", doc: "development | production. production makes a missing GATEHOUSE_SECRET or ADMIN_TOKEN, or an http PUBLIC_URL, fatal on the control plane (data planes need none of them)" },
  { name: "DATA_DIR", default: "./.data", doc: "embedded database, generated secrets, lock file, data plane snapshot cache" },
  { name: "DATABASE_URL", default: "(unset: embedded PGlite in $DATA_DIR/pglite)", doc: "postgres://user:pass@host:port/db to use PostgreSQL" },
  { name: "PORTAL_LISTEN", default: "0.0.0.0:3000", doc: "portal, /admin, /api/v1, built-in issuer (/oauth2), /health" },
  { name: "ADMIN_LISTEN", default: "127.0.0.1:8001", doc: "Kong-compatible Admin API (control plane only)" },
  { name: "CLUSTER_LISTEN", default: "127.0.0.1:8005", doc: "control plane -> data plane config sync" },
  { name: "PROXY_LISTEN", default: "0.0.0.0:8000", doc: "the gateway data plane" },
  { name: "STATUS_LISTEN", default: "127.0.0.1:8100", doc: "data plane /status and Prometheus /metrics" },
  { name: "PUBLIC_URL", default: "http://localhost:3000", doc: "public URL of the portal and the built-in issuer (<PUBLIC_URL>/oauth2); never taken from a Host header" },
  { name: "PROXY_URL", default: "http://localhost:8000", doc: "public URL of the gateway, shown in the portal's examples" },
  { name: "GATEHOUSE_SECRET", default: "(generated into $DATA_DIR/secret)", doc: "master key for values encrypted at rest; at least 32 characters" },
  { name: "GATEHOUSE_PREVIOUS_SECRETS", default: "(none)", doc: "comma-separated earlier master keys, still accepted for decryption after a rotation" },
  { name: "ADMIN_TOKEN", default: "(generated into $DATA_DIR/admin_token)", doc: "token for the Admin API (Kong-Admin-Token header or Bearer). Unset, in development with ADMIN_LISTEN on loopback, local calls without a token are accepted as in Kong; set it (or GATEHOUSE_ENV=production) and every call needs it" },
  { name: "CLUSTER_TOKEN", default: "(generated into $DATA_DIR/cluster_token)", doc: "token data planes present to the cluster listener" },
  { name: "ADMIN_EMAIL", default: "admin@localhost", doc: "first admin's email, created on first start" },
  { name: "ADMIN_PASSWORD", default: "(generated and printed once)", doc: "first admin's password, at least 12 characters" },
  { name: "ADMIN_ALLOWED_HOSTS", default: "localhost,127.0.0.1,[::1]", doc: "Host header names the Admin API answers (DNS rebinding guard); the ADMIN_LISTEN host is always allowed" },
  { name: "ISSUER_AUDIENCE", default: "$PROXY_URL", doc: "default `aud` of the built-in issuer's access tokens" },
  { name: "ACCESS_TOKEN_TTL", default: "900", doc: "lifetime of the built-in issuer's access tokens, in seconds" },
  { name: "ISSUER_SIGNING_ALG", default: "ES256", doc: "ES256 | RS256 for new signing keys" },
  { name: "ISSUER_APPLICATION_CLAIM", default: "application_id", doc: "name of the access-token claim carrying the client_id" },
  { name: "SMTP_URL", default: "(unset: emails kept in the outbox, shown in /admin)", doc: "smtp://user:pass@host:port to send emails" },
  { name: "SMTP_FROM", default: "Gatehouse <no-reply@localhost>", doc: "From address of emails" },
  { name: "PORTAL_TEMPLATES_DIR", default: "(unset: ./portal-templates)", doc: "folder whose templates override the built-in ones" },
  { name: "DEMO_UPSTREAM_LISTEN", default: "127.0.0.1:8080", doc: "the demo upstream `gatehouse start` runs" },
  { name: "LOG_LEVEL", default: "info", doc: "debug | info | warn | error | silent" },
  { name: "LOG_FORMAT", default: "(json in production or when not a terminal, else pretty)", doc: "json | pretty" },
];

export function parseListen(name: string, value: string): Listen {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(`${name}: expected host:port (for example 127.0.0.1:8001 or [::1]:8001), got ${JSON.stringify(value)}`);
  }
  return { host: m[1] ?? m[2], port };
}

export function formatListen(l: Listen): string {
  return `${l.host.includes(":") ? `[${l.host}]` : l.host}:${l.port}`;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function parseUrl(name: string, value: string, env: GatehouseEnv, { requireHttps = false } = {}): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(`${name}: expected an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new ConfigError(`${name}: expected an http or https URL, got ${JSON.stringify(value)}`);
  }
  if (u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${name}: must not carry a query, fragment or credentials, got ${JSON.stringify(value)}`);
  }
  if (requireHttps && env === "production" && u.protocol !== "https:") {
    throw new ConfigError(`${name}: must be https when GATEHOUSE_ENV=production, got ${JSON.stringify(value)}`);
  }
  return u.toString().replace(/\/+$/, "");
}

function int(name: string, value: string | undefined, def: number, min: number, max: number): number {
  if (value === undefined || value === "") return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], def: T): T {
  if (value === undefined || value === "") return def;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(`${name}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

const val = (env: Record<string, string | undefined>, name: string) => {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
};

/**
 * `role`: the production checks (GATEHOUSE_SECRET, ADMIN_TOKEN, an https
 * PUBLIC_URL) concern the control plane only; a data plane (`gatehouse
 * gateway`) holds none of those and must start without them.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  { role = "control-plane" }: { role?: "control-plane" | "data-plane" } = {},
): Config {
  const gatehouseEnv = oneOf("GATEHOUSE_ENV", val(env, "GATEHOUSE_ENV"), ["development", "production"] as const, "development");
  const listen = (name: string, def: string) => parseListen(name, val(env, name) ?? def);
  const url = (name: string, https = false) => {
    const v = val(env, name);
    return v === undefined ? undefined : parseUrl(name, v, gatehouseEnv, { requireHttps: https && role === "control-plane" });
  };
  const secret = val(env, "GATEHOUSE_SECRET");
  if (secret !== undefined && secret.length < 32) {
    throw new ConfigError("GATEHOUSE_SECRET: expected at least 32 characters (for example `openssl rand -base64 32`)");
  }
  const previousSecrets = (val(env, "GATEHOUSE_PREVIOUS_SECRETS") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const s of previousSecrets) {
    if (s.length < 32) throw new ConfigError("GATEHOUSE_PREVIOUS_SECRETS: each key must be at least 32 characters");
  }
  const databaseUrl = val(env, "DATABASE_URL");
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL: expected postgres://user:password@host:port/database (unset it to use the embedded database)");
  }
  const adminPassword = val(env, "ADMIN_PASSWORD");
  if (adminPassword !== undefined && adminPassword.length < 12) {
    throw new ConfigError("ADMIN_PASSWORD: expected at least 12 characters");
  }
  const adminEmail = val(env, "ADMIN_EMAIL") ?? "admin@localhost";
  if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) throw new ConfigError(`ADMIN_EMAIL: expected an email address, got ${JSON.stringify(adminEmail)}`);
  for (const t of ["ADMIN_TOKEN", "CLUSTER_TOKEN"]) {
    const v = val(env, t);
    if (v !== undefined && v.length < 16) throw new ConfigError(`${t}: expected at least 16 characters`);
  }
  const claim = val(env, "ISSUER_APPLICATION_CLAIM") ?? "application_id";
  if (!/^[A-Za-z_][A-Za-z0-9_.:-]*$/.test(claim)) {
    throw new ConfigError(`ISSUER_APPLICATION_CLAIM: expected a claim name (letters, digits, _ . : -), got ${JSON.stringify(claim)}`);
  }
  const smtpUrl = val(env, "SMTP_URL");
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError("SMTP_URL: expected smtp://user:password@host:port or smtps://...");
  }
  const config: Config = {
    env: gatehouseEnv,
    dataDir: path.resolve(val(env, "DATA_DIR") ?? "./.data"),
    databaseUrl,
    listen: {
      portal: listen("PORTAL_LISTEN", "0.0.0.0:3000"),
      admin: listen("ADMIN_LISTEN", "127.0.0.1:8001"),
      cluster: listen("CLUSTER_LISTEN", "127.0.0.1:8005"),
      proxy: listen("PROXY_LISTEN", "0.0.0.0:8000"),
      status: listen("STATUS_LISTEN", "127.0.0.1:8100"),
    },
    publicUrl: url("PUBLIC_URL", true),
    proxyUrl: url("PROXY_URL"),
    secret,
    previousSecrets,
    adminToken: val(env, "ADMIN_TOKEN"),
    clusterToken: val(env, "CLUSTER_TOKEN"),
    adminEmail,
    adminPassword,
    adminAllowedHosts: (val(env, "ADMIN_ALLOWED_HOSTS") ?? "localhost,127.0.0.1,[::1]")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    issuer: {
      audience: url("ISSUER_AUDIENCE"),
      accessTokenTtl: int("ACCESS_TOKEN_TTL", val(env, "ACCESS_TOKEN_TTL"), 900, 60, 86_400),
      signingAlg: oneOf("ISSUER_SIGNING_ALG", val(env, "ISSUER_SIGNING_ALG"), ["ES256", "RS256"] as const, "ES256"),
      applicationClaim: claim,
    },
    smtpUrl,
    smtpFrom: val(env, "SMTP_FROM") ?? "Gatehouse <no-reply@localhost>",
    templatesDir: val(env, "PORTAL_TEMPLATES_DIR") ? path.resolve(val(env, "PORTAL_TEMPLATES_DIR")!) : undefined,
    demoUpstreamListen: listen("DEMO_UPSTREAM_LISTEN", "127.0.0.1:8080"),
    logLevel: oneOf("LOG_LEVEL", val(env, "LOG_LEVEL"), ["debug", "info", "warn", "error", "silent"] as const, "info"),
    logFormat: val(env, "LOG_FORMAT") === undefined ? undefined : oneOf("LOG_FORMAT", val(env, "LOG_FORMAT"), ["json", "pretty"] as const, "pretty"),
  };
  if (config.env === "production" && role === "control-plane") {
    if (!config.secret) throw new ConfigError("GATEHOUSE_SECRET: required when GATEHOUSE_ENV=production (at least 32 characters)");
    if (!config.adminToken) throw new ConfigError("ADMIN_TOKEN: required when GATEHOUSE_ENV=production (at least 16 characters)");
    if (!config.publicUrl) throw new ConfigError("PUBLIC_URL: required when GATEHOUSE_ENV=production (an https URL)");
  }
  return config;
}

/** PUBLIC_URL, or the local URL of the bound portal port when it is unset. */
export function resolvePublicUrl(config: Config, portalPort: number): string {
  return config.publicUrl ?? `http://localhost:${portalPort}`;
}

export function resolveProxyUrl(config: Config, proxyPort?: number): string {
  return config.proxyUrl ?? `http://localhost:${proxyPort ?? config.listen.proxy.port}`;
}
