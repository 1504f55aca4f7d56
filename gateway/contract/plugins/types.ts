/**
 * What a plugin's schema says, beside its config fields: its priority and the
 * scopes it may be attached to (Kong's `no_consumer`, `no_route`, ...).
 */
import type { Field, FieldError } from "../schema";

export interface PluginScopes {
  global: boolean;
  service: boolean;
  route: boolean;
  consumer: boolean;
}

export interface PluginSchema {
  name: string;
  /** Higher runs first (Kong's PRIORITY). */
  priority: number;
  scopes: PluginScopes;
  fields: Record<string, Field>;
  /**
   * Top-level fields Gatehouse implements. A field outside this set is accepted
   * at its default and refused with `not supported: FIELD` at any other value.
   * Undefined: every field is implemented.
   */
  implemented?: ReadonlySet<string>;
  /** Cross-field checks, run after the fields validated. */
  check?(config: Record<string, unknown>): FieldError[];
}

/** Field helpers that keep the schema files short. */
export const f = {
  str: (def?: string | null, extra: Partial<Extract<Field, { type: "string" }>> = {}): Field => ({
    type: "string",
    ...(def !== undefined && def !== null ? { default: def } : {}),
    ...extra,
  }),
  req: (extra: Partial<Extract<Field, { type: "string" }>> = {}): Field => ({ type: "string", required: true, ...extra }),
  bool: (def: boolean): Field => ({ type: "boolean", default: def }),
  optBool: (): Field => ({ type: "boolean" }),
  int: (def?: number, between?: [number, number]): Field => ({
    type: "integer",
    ...(def !== undefined ? { default: def } : {}),
    ...(between ? { between } : {}),
  }),
  num: (def?: number, between?: [number, number]): Field => ({
    type: "number",
    ...(def !== undefined ? { default: def } : {}),
    ...(between ? { between } : {}),
  }),
  strs: (def?: string[], oneOf?: readonly string[]): Field => ({
    type: "array",
    elements: oneOf ? { type: "string", one_of: oneOf } : { type: "string" },
    ...(def !== undefined ? { default: def } : {}),
  }),
  record: (fields: Record<string, Field>, extra: Partial<Extract<Field, { type: "record" }>> = {}): Field => ({
    type: "record",
    fields,
    ...extra,
  }),
};
