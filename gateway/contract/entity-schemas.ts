/**
 * Kong's entity schemas for services, routes, consumers, plugins and ACLs: the
 * Admin API and the declarative loader both validate with these, so a field is
 * named the same way in every error (`paths[1]: should start with: / (fixed path) or ~/ (regex path)`).
 */
import { validatePluginConfig, validatePluginScope } from "./plugins";
import { validateRecord, type Field, type FieldError, type ValidateOptions } from "./schema";

const NAME = "[A-Za-z0-9._~-]+";
const tags: Field = { type: "array", elements: { type: "string", match: "[^,\\s]([^,]*[^,\\s])?" }, default: [] };
const timeout = (): Field => ({ type: "integer", default: 60000, between: [1, 2147483646] });
const nullOnly = (): Field => ({ type: "array", elements: { type: "string" }, len_max: 0 });

export const SERVICE_FIELDS: Record<string, Field> = {
  id: { type: "string", match: UUID_RE() },
  name: { type: "string", match: NAME },
  protocol: { type: "string", one_of: ["http", "https"], default: "http" },
  host: { type: "string", len_min: 1, match: "[A-Za-z0-9._\\-\\[\\]:]+" },
  port: { type: "integer", between: [1, 65535] },
  path: { type: "string", match: "/[^?#]*" },
  retries: { type: "integer", default: 5, between: [0, 32767] },
  connect_timeout: timeout(),
  write_timeout: timeout(),
  read_timeout: timeout(),
  enabled: { type: "boolean", default: true },
  tags,
  url: { type: "string", url: true },
  // Kong fields Gatehouse does not use (TLS to upstreams): accepted when empty.
  client_certificate: { type: "map", values: { type: "string" } },
  tls_verify: { type: "boolean" },
  tls_verify_depth: { type: "integer" },
  ca_certificates: nullOnly(),
  created_at: { type: "integer" },
  updated_at: { type: "integer" },
};

function UUID_RE(): string {
  return "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
}

const fk: Field = { type: "map", values: { type: "string" } };

export const ROUTE_FIELDS: Record<string, Field> = {
  id: { type: "string", match: UUID_RE() },
  name: { type: "string", match: NAME },
  service: fk,
  protocols: { type: "array", elements: { type: "string", one_of: ["http", "https"] }, default: ["http", "https"], len_min: 1 },
  methods: { type: "array", elements: { type: "string", match: "[A-Z]+" } },
  hosts: { type: "array", elements: { type: "string", match: "(\\*\\.)?[A-Za-z0-9._\\-]+(\\.\\*)?(:\\d+)?" } },
  paths: { type: "array", elements: { type: "string" } },
  headers: { type: "map", values: { type: "array", elements: { type: "string" } } },
  strip_path: { type: "boolean", default: true },
  preserve_host: { type: "boolean", default: false },
  regex_priority: { type: "integer", default: 0 },
  path_handling: { type: "string", one_of: ["v0", "v1"], default: "v0" },
  https_redirect_status_code: { type: "integer", one_of: [426, 301, 302, 307, 308], default: 426 },
  request_buffering: { type: "boolean", default: true },
  response_buffering: { type: "boolean", default: true },
  tags,
  snis: nullOnly(),
  sources: nullOnly(),
  destinations: nullOnly(),
  created_at: { type: "integer" },
  updated_at: { type: "integer" },
};

export const CONSUMER_FIELDS: Record<string, Field> = {
  id: { type: "string", match: UUID_RE() },
  username: { type: "string", len_min: 1 },
  custom_id: { type: "string", len_min: 1 },
  tags,
  created_at: { type: "integer" },
  updated_at: { type: "integer" },
};

export const PLUGIN_FIELDS: Record<string, Field> = {
  id: { type: "string", match: UUID_RE() },
  name: { type: "string", required: true },
  instance_name: { type: "string", match: NAME },
  config: { type: "map", values: { type: "string" } }, // validated by the plugin's own schema
  service: fk,
  route: fk,
  consumer: fk,
  protocols: { type: "array", elements: { type: "string", one_of: ["grpc", "grpcs", "http", "https"] }, default: ["grpc", "grpcs", "http", "https"] },
  enabled: { type: "boolean", default: true },
  tags,
  created_at: { type: "integer" },
  updated_at: { type: "integer" },
};

export const ACL_FIELDS: Record<string, Field> = {
  id: { type: "string", match: UUID_RE() },
  group: { type: "string", required: true, len_min: 1 },
  consumer: fk,
  tags,
  created_at: { type: "integer" },
};

export type Checked = { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldError[] };

function prefix(errors: FieldError[], root: string): FieldError[] {
  return root ? errors.map((e) => ({ ...e, path: `${root}.${e.path}` })) : errors;
}

/** A service: `url` expands to protocol, host, port and path, as in Kong. */
export function checkService(input: Record<string, unknown>, opts: ValidateOptions = {}, root = ""): Checked {
  const r = validateRecord(SERVICE_FIELDS, input, { ...opts, root: "" });
  if (!r.ok) return { ok: false, errors: prefix(r.errors, root) };
  const v = r.value;
  const errors: FieldError[] = [];
  if (typeof v.url === "string") {
    const u = new URL(v.url);
    v.protocol = u.protocol.slice(0, -1);
    v.host = u.hostname;
    v.port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    const rawPath = /^[a-z]+:\/\/[^/?#]+(\/[^?#]*)?/i.exec(v.url)?.[1];
    v.path = rawPath ? u.pathname : null;
  }
  delete v.url;
  if (!v.host) errors.push({ path: "host", message: "required field missing" });
  if (v.port === null) v.port = v.protocol === "https" ? 443 : 80;
  for (const k of ["client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates"]) delete v[k];
  return errors.length ? { ok: false, errors: prefix(errors, root) } : { ok: true, value: v };
}

export function checkRoute(input: Record<string, unknown>, opts: ValidateOptions = {}, root = ""): Checked {
  const r = validateRecord(ROUTE_FIELDS, input, { ...opts, root: "" });
  if (!r.ok) return { ok: false, errors: prefix(r.errors, root) };
  const v = r.value;
  const errors: FieldError[] = [];
  const paths = (v.paths as string[] | null) ?? [];
  paths.forEach((p, i) => {
    if (!p.startsWith("/") && !p.startsWith("~/")) errors.push({ path: `paths[${i + 1}]`, message: "should start with: / (fixed path) or ~/ (regex path)" });
    else if (p.startsWith("~")) {
      try {
        new RegExp(p.slice(1));
      } catch {
        errors.push({ path: `paths[${i + 1}]`, message: `invalid regex: '${p.slice(1)}'` });
      }
    }
  });
  const headers = v.headers as Record<string, string[]> | null;
  if (headers) {
    for (const [name, vals] of Object.entries(headers)) {
      if (name.toLowerCase() === "host") errors.push({ path: `headers.${name}`, message: "cannot contain 'host' header, which must be specified in the 'hosts' attribute" });
      if (!vals.length) errors.push({ path: `headers.${name}`, message: "length must be at least 1" });
    }
  }
  const has = (k: string) => {
    const x = v[k];
    return Array.isArray(x) ? x.length > 0 : x !== null && typeof x === "object" && Object.keys(x).length > 0;
  };
  if (!has("methods") && !has("hosts") && !has("paths") && !has("headers")) {
    errors.push({ path: "@entity", message: "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http' or 'https'" });
  }
  for (const k of ["snis", "sources", "destinations"]) delete v[k];
  return errors.length ? { ok: false, errors: prefix(errors, root) } : { ok: true, value: v };
}

export function checkConsumer(input: Record<string, unknown>, opts: ValidateOptions = {}, root = ""): Checked {
  const r = validateRecord(CONSUMER_FIELDS, input, { ...opts, root: "" });
  if (!r.ok) return { ok: false, errors: prefix(r.errors, root) };
  if (r.value.username === null && r.value.custom_id === null) {
    return { ok: false, errors: prefix([{ path: "@entity", message: "at least one of these fields must be non-empty: 'custom_id', 'username'" }], root) };
  }
  return r;
}

/** A plugin entity: its own fields, then its config by the plugin's schema, then its scope. */
export function checkPlugin(input: Record<string, unknown>, opts: ValidateOptions = {}, root = ""): Checked {
  const { config, ...rest } = input;
  const r = validateRecord({ ...PLUGIN_FIELDS, config: { type: "map", values: { type: "string" } } }, { ...rest, config: undefined }, { ...opts, root: "" });
  const errors: FieldError[] = r.ok ? [] : [...r.errors];
  const name = typeof input.name === "string" ? input.name : "";
  let value: Record<string, unknown> = r.ok ? r.value : {};
  if (name) {
    const c = validatePluginConfig(name, config, { ...opts, root: "config" });
    if (!c.ok) errors.push(...c.errors);
    else value = { ...value, config: c.value };
    errors.push(...validatePluginScope(name, input));
  }
  return errors.length ? { ok: false, errors: prefix(errors, root) } : { ok: true, value };
}

export function checkAcl(input: Record<string, unknown>, opts: ValidateOptions = {}, root = ""): Checked {
  const r = validateRecord(ACL_FIELDS, input, { ...opts, root: "" });
  return r.ok ? r : { ok: false, errors: prefix(r.errors, root) };
}
