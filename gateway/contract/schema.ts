/**
 * A small schema language for plugin configs, in the spirit of Kong's
 * schema.lua: typed fields with defaults, `required`, `one_of`, arrays and
 * nested records. Validation fills defaults and reports every error with the
 * field's path, as Kong does (`config.scopes_required: expected an array`).
 *
 * `coerce: true` (form-encoded Admin API bodies, where every value is a string)
 * turns "true"/"false" into booleans, numeric strings into numbers and a single
 * value for an array field into a one-element array.
 */

export type Field =
  | StringField
  | BooleanField
  | NumberField
  | ArrayField
  | RecordField
  | MapField;

interface FieldBase {
  required?: boolean;
  /** Applied when the field is absent or null. Arrays and records are copied. */
  default?: unknown;
  /** Free text shown in docs. */
  description?: string;
  /** The value is a secret (redacted in logs and audit entries). */
  secret?: boolean;
}

export interface StringField extends FieldBase {
  type: "string";
  one_of?: readonly string[];
  /** JavaScript regular expression source the whole value must match. */
  match?: string;
  len_min?: number;
  len_max?: number;
  /** The value must be an absolute http(s) URL. */
  url?: boolean;
}

export interface BooleanField extends FieldBase {
  type: "boolean";
}

export interface NumberField extends FieldBase {
  type: "number" | "integer";
  between?: readonly [number, number];
  one_of?: readonly number[];
}

export interface ArrayField extends FieldBase {
  type: "array";
  elements: Field;
  len_min?: number;
  len_max?: number;
}

export interface RecordField extends FieldBase {
  type: "record";
  fields: Record<string, Field>;
}

/** An object with free keys (for example headers). */
export interface MapField extends FieldBase {
  type: "map";
  values: Field;
}

export interface FieldError {
  /** Dotted path from the root, e.g. `config.scopes_required` or `config.scopes[2]`. */
  path: string;
  message: string;
}

export type ValidationResult<T = Record<string, unknown>> =
  | { ok: true; value: T }
  | { ok: false; errors: FieldError[] };

export interface ValidateOptions {
  /** Form-encoded input: coerce strings to booleans/numbers and single values to arrays. */
  coerce?: boolean;
  /** Root path used in error messages (default `config`). */
  root?: string;
}

function clone<T>(v: T): T {
  return v === undefined || v === null || typeof v !== "object" ? v : (structuredClone(v) as T);
}

function describe(f: Field): string {
  switch (f.type) {
    case "string":
      return "a string";
    case "boolean":
      return "a boolean";
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "array":
      return "an array";
    case "record":
    case "map":
      return "a record";
  }
}

function coerceScalar(f: Field, v: unknown): unknown {
  if (typeof v !== "string") return v;
  if (f.type === "boolean") {
    if (v === "true") return true;
    if (v === "false") return false;
  }
  if ((f.type === "number" || f.type === "integer") && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  return v;
}

function checkField(f: Field, raw: unknown, path: string, errors: FieldError[], opts: ValidateOptions): unknown {
  if (raw === undefined || raw === null) {
    if (f.default !== undefined) return clone(f.default);
    if (f.required) errors.push({ path, message: "required field missing" });
    // A record that is not required still gets its nested defaults, as in Kong.
    if (f.type === "record") return checkRecord(f.fields, {}, path, errors, opts);
    return null;
  }
  let v = opts.coerce ? coerceScalar(f, raw) : raw;
  switch (f.type) {
    case "string": {
      if (typeof v !== "string") {
        errors.push({ path, message: `expected a string` });
        return v;
      }
      if (f.one_of && !f.one_of.includes(v)) {
        errors.push({ path, message: `expected one of: ${f.one_of.join(", ")}` });
      } else if (f.len_min !== undefined && v.length < f.len_min) {
        errors.push({ path, message: f.len_min === 1 ? "length must be at least 1" : `length must be at least ${f.len_min}` });
      } else if (f.len_max !== undefined && v.length > f.len_max) {
        errors.push({ path, message: `length must be at most ${f.len_max}` });
      } else if (f.match !== undefined && !new RegExp(`^(?:${f.match})$`).test(v)) {
        errors.push({ path, message: `invalid value: ${JSON.stringify(v)}` });
      } else if (f.url) {
        let ok = false;
        try {
          const u = new URL(v);
          ok = u.protocol === "http:" || u.protocol === "https:";
        } catch {}
        if (!ok) errors.push({ path, message: "expected an absolute http(s) URL" });
      }
      return v;
    }
    case "boolean":
      if (typeof v !== "boolean") errors.push({ path, message: "expected a boolean" });
      return v;
    case "number":
    case "integer": {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        errors.push({ path, message: `expected ${describe(f)}` });
        return v;
      }
      if (f.type === "integer" && !Number.isInteger(v)) errors.push({ path, message: "expected an integer" });
      else if (f.between && (v < f.between[0] || v > f.between[1])) {
        errors.push({ path, message: `value should be between ${f.between[0]} and ${f.between[1]}` });
      } else if (f.one_of && !f.one_of.includes(v)) {
        errors.push({ path, message: `expected one of: ${f.one_of.join(", ")}` });
      }
      return v;
    }
    case "array": {
      if (!Array.isArray(v)) {
        if (opts.coerce && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) {
          v = [v];
        } else {
          errors.push({ path, message: "expected an array" });
          return v;
        }
      }
      const arr = v as unknown[];
      if (f.len_min !== undefined && arr.length < f.len_min) {
        errors.push({ path, message: `length must be at least ${f.len_min}` });
      }
      if (f.len_max !== undefined && arr.length > f.len_max) {
        errors.push({ path, message: `length must be at most ${f.len_max}` });
      }
      return arr.map((el, i) => {
        if (el === null || el === undefined) {
          errors.push({ path: `${path}[${i + 1}]`, message: `expected ${describe(f.elements)}` });
          return el;
        }
        return checkField(f.elements, el, `${path}[${i + 1}]`, errors, opts);
      });
    }
    case "record":
      if (typeof v !== "object" || Array.isArray(v)) {
        errors.push({ path, message: "expected a record" });
        return v;
      }
      return checkRecord(f.fields, v as Record<string, unknown>, path, errors, opts);
    case "map": {
      if (typeof v !== "object" || Array.isArray(v)) {
        errors.push({ path, message: "expected a map" });
        return v;
      }
      const out: Record<string, unknown> = {};
      for (const [k, el] of Object.entries(v as Record<string, unknown>)) {
        out[k] = checkField(f.values, el, `${path}.${k}`, errors, opts);
      }
      return out;
    }
  }
}

function checkRecord(
  fields: Record<string, Field>,
  input: Record<string, unknown>,
  path: string,
  errors: FieldError[],
  opts: ValidateOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(fields, key)) errors.push({ path: path ? `${path}.${key}` : key, message: "unknown field" });
  }
  for (const [key, f] of Object.entries(fields)) {
    out[key] = checkField(f, input[key], path ? `${path}.${key}` : key, errors, opts);
  }
  return out;
}

/** Validates `input` against a record's fields, filling defaults. */
export function validateRecord(
  fields: Record<string, Field>,
  input: unknown,
  opts: ValidateOptions = {},
): ValidationResult {
  const root = opts.root ?? "config";
  const errors: FieldError[] = [];
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) {
    return { ok: false, errors: [{ path: root, message: "expected a record" }] };
  }
  const value = checkRecord(fields, input as Record<string, unknown>, root, errors, opts);
  return errors.length ? { ok: false, errors } : { ok: true, value };
}

/** The defaults of every field (what an empty config becomes), without validation. */
export function defaultsOf(fields: Record<string, Field>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) {
    out[k] = f.default !== undefined ? clone(f.default) : f.type === "record" ? defaultsOf(f.fields) : null;
  }
  return out;
}

/** Deep equality for JSON values (used to tell a default from a set value). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** `config.a: msg (config.b: msg2)`: one line for a set of errors. */
export function formatErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join(", ");
}

/**
 * Kong's nested `fields` object of a schema violation:
 * `{config: {scopes_required: "expected an array"}}`.
 */
export function errorsToFields(errors: FieldError[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of errors) {
    const parts = e.path.split(".");
    let node = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i];
      if (typeof node[p] !== "object" || node[p] === null) node[p] = {};
      node = node[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1];
    node[last] = node[last] === undefined ? e.message : `${String(node[last])}; ${e.message}`;
  }
  return out;
}
