/**
 * The plugin schemas Gatehouse knows, by name, and the checks the Admin API,
 * the declarative loader and `gatehouse config validate` run on a plugin
 * entity's config and scope.
 */
import { formatErrors, jsonEqual, validateRecord, type FieldError, type ValidateOptions, type ValidationResult } from "../schema";
import { aclSchema } from "./acl";
import { applicationRegistrationSchema } from "./application-registration";
import { openidConnectSchema } from "./openid-connect";
import type { PluginSchema } from "./types";

export type { PluginSchema, PluginScopes } from "./types";
export { OIDC_IMPLEMENTED_FIELDS, OIDC_AUTH_METHODS, OIDC_CLIENT_AUTH } from "./openid-connect";
export { formatErrors, errorsToFields, type FieldError } from "../schema";

export const PLUGIN_SCHEMAS: Readonly<Record<string, PluginSchema>> = {
  [openidConnectSchema.name]: openidConnectSchema,
  [applicationRegistrationSchema.name]: applicationRegistrationSchema,
  [aclSchema.name]: aclSchema,
};

export function pluginSchema(name: string): PluginSchema | undefined {
  return Object.hasOwn(PLUGIN_SCHEMAS, name) ? PLUGIN_SCHEMAS[name] : undefined;
}

/** Kong's PRIORITY of a plugin (0 for an unknown name). */
export function pluginPriority(name: string): number {
  return pluginSchema(name)?.priority ?? 0;
}

/**
 * Validates a plugin's config: fills defaults, names every bad field
 * (`config.scopes_required: expected an array`), refuses unknown fields and
 * fields Gatehouse does not implement when set to a non-default value.
 */
export function validatePluginConfig(
  name: string,
  config: unknown,
  opts: ValidateOptions = {},
): ValidationResult {
  const schema = pluginSchema(name);
  if (!schema) {
    return { ok: false, errors: [{ path: "name", message: `plugin '${name}' not enabled; known plugins: ${Object.keys(PLUGIN_SCHEMAS).join(", ")}` }] };
  }
  const root = opts.root ?? "config";
  const r = validateRecord(schema.fields, config, { ...opts, root });
  if (!r.ok) return r;
  const errors: FieldError[] = [];
  if (schema.implemented) {
    const defaults = validateRecord(schema.fields, pickRequired(schema, r.value), { root });
    for (const key of Object.keys(schema.fields)) {
      if (schema.implemented.has(key)) continue;
      const def = defaults.ok ? defaults.value[key] : undefined;
      if (!jsonEqual(r.value[key], def)) errors.push({ path: `${root}.${key}`, message: `not supported: ${key}` });
    }
  }
  if (schema.check) {
    errors.push(...schema.check(r.value).map((e) => ({ ...e, path: e.path === "config" ? root : e.path.replace(/^config\b/, root) })));
  }
  return errors.length ? { ok: false, errors } : r;
}

function pickRequired(schema: PluginSchema, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, field] of Object.entries(schema.fields)) if (field.required) out[k] = value[k];
  return out;
}

/** Refuses a scope the plugin cannot take (Kong's no_consumer, no_route...). */
export function validatePluginScope(
  name: string,
  scope: { service?: unknown; route?: unknown; consumer?: unknown },
): FieldError[] {
  const schema = pluginSchema(name);
  if (!schema) return [];
  const errors: FieldError[] = [];
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(scope.consumer) && !schema.scopes.consumer) errors.push({ path: "consumer", message: `value must be null (${name} cannot be scoped to a consumer)` });
  if (set(scope.route) && !schema.scopes.route) errors.push({ path: "route", message: `value must be null (${name} cannot be scoped to a route)` });
  if (set(scope.service) && !schema.scopes.service) errors.push({ path: "service", message: `value must be null (${name} cannot be scoped to a service)` });
  if (!schema.scopes.global && !set(scope.service) && !set(scope.route) && !set(scope.consumer)) {
    errors.push({ path: "service", message: `required field missing (${name} must be scoped to a service)` });
  }
  return errors;
}

/**
 * PATCH semantics: records merge key by key, anything else (arrays included)
 * replaces the stored value.
 */
export function mergeConfig(stored: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  if (stored === null || typeof stored !== "object" || Array.isArray(stored)) return patch;
  const out: Record<string, unknown> = { ...(stored as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    out[k] = mergeConfig(out[k], v);
  }
  return out;
}

/** One-line description of a validation failure. */
export function describeErrors(errors: FieldError[]): string {
  return formatErrors(errors);
}
