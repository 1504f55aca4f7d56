/**
 * DB-less mode: Kong's declarative format (`_format_version: "3.0"`): services
 * with nested routes and plugins, top-level routes, plugins, consumers (with
 * nested acls and plugins) and acls, with decK's `${{ env "DECK_NAME" }}`
 * substitution. Every error is reported with its path
 * (`services[1].routes[2].paths[1]: should start with: / ...`).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import YAML from "yaml";
import type { Acl, Consumer, Plugin, Route, Service } from "../contract/entities";
import { checkAcl, checkConsumer, checkPlugin, checkRoute, checkService } from "../contract/entity-schemas";
import type { FieldError } from "../contract/schema";
import { emptySnapshot, type Snapshot } from "../contract/snapshot";

export class DeclarativeError extends Error {
  // the CLI prints errors of this name as one message, without a stack
  override name = "DeclarativeConfigError";
  constructor(readonly file: string, readonly errors: FieldError[]) {
    super(`${file}: ${errors.length} error${errors.length === 1 ? "" : "s"}\n${errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`);
  }
}

const ENV_RE = /\$\{\{\s*env\s+"([^"]*)"\s*\}\}/g;

/** decK's substitution: only DECK_-prefixed variables, and each must be set. */
export function substituteEnv(text: string, env: Record<string, string | undefined>, errors: FieldError[]): string {
  return text.replace(ENV_RE, (_m, name: string) => {
    if (!name.startsWith("DECK_")) {
      errors.push({ path: "${{ env }}", message: `environment variable '${name}' is not allowed: decK substitutes only variables prefixed with DECK_` });
      return "";
    }
    const v = env[name];
    if (v === undefined) {
      errors.push({ path: "${{ env }}", message: `environment variable '${name}' is not set` });
      return "";
    }
    return v;
  });
}

function stableId(kind: string, key: string): string {
  const h = createHash("sha1").update(`gatehouse:${kind}:${key}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses and validates a declarative document into a snapshot (version = `version`). */
export function parseDeclarative(text: string, env: Record<string, string | undefined>, version = 1): { snapshot: Snapshot; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const snapshot = emptySnapshot(version);
  const substituted = substituteEnv(text, env, errors);
  let doc: unknown;
  try {
    doc = YAML.parse(substituted);
  } catch (err) {
    errors.push({ path: "(file)", message: `not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}` });
    return { snapshot, errors };
  }
  if (!isObj(doc)) {
    errors.push({ path: "(file)", message: "expected a mapping with _format_version" });
    return { snapshot, errors };
  }
  if (doc._format_version !== "3.0" && doc._format_version !== "2.1" && doc._format_version !== "1.1") {
    errors.push({ path: "_format_version", message: `expected "3.0", got ${JSON.stringify(doc._format_version)}` });
  }
  const known = new Set(["_format_version", "_transform", "_comment", "_info", "_workspace", "_konnect", "services", "routes", "consumers", "plugins", "acls", "upstreams", "certificates", "ca_certificates", "vaults", "consumer_groups"]);
  for (const k of Object.keys(doc)) if (!known.has(k)) errors.push({ path: k, message: "unknown field" });
  for (const k of ["upstreams", "certificates", "ca_certificates", "vaults", "consumer_groups"]) {
    if (Array.isArray(doc[k]) && (doc[k] as unknown[]).length) errors.push({ path: k, message: "not supported by Gatehouse" });
  }

  let clock = 1_700_000_000;
  const tick = () => clock++;
  const services = new Map<string, Service>();
  const routes = new Map<string, Route>();
  const consumers = new Map<string, Consumer>();
  const pendingPlugins: { input: Obj; path: string; scope: { service?: string; route?: string; consumer?: string } }[] = [];
  const pendingRoutes: { input: Obj; path: string; service?: string }[] = [];
  const pendingAcls: { input: Obj; path: string; consumer?: string }[] = [];

  const list = (v: unknown, path: string): Obj[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      errors.push({ path, message: "expected an array" });
      return [];
    }
    return v.flatMap((x, i) => {
      if (isObj(x)) return [x];
      errors.push({ path: `${path}[${i + 1}]`, message: "expected a record" });
      return [];
    });
  };
  const ref = (v: unknown): string | undefined => (typeof v === "string" ? v : isObj(v) ? ((v.id ?? v.name ?? v.username) as string | undefined) : undefined);

  list(doc.services, "services").forEach((s, i) => {
    const path = `services[${i + 1}]`;
    const { routes: nestedRoutes, plugins: nestedPlugins, ...rest } = s;
    const c = checkService(rest, {}, path);
    if (!c.ok) return void errors.push(...c.errors);
    const v = c.value;
    const id = (v.id as string) ?? stableId("service", (v.name as string) ?? path);
    const t = tick();
    const svc = { ...v, id, created_at: t, updated_at: t } as unknown as Service;
    if (services.has(id)) errors.push({ path, message: `duplicate service ${v.name ?? id}` });
    services.set(id, svc);
    if (svc.name) services.set(`name:${svc.name}`, svc);
    list(nestedRoutes, `${path}.routes`).forEach((r, j) => pendingRoutes.push({ input: r, path: `${path}.routes[${j + 1}]`, service: id }));
    list(nestedPlugins, `${path}.plugins`).forEach((p, j) => pendingPlugins.push({ input: p, path: `${path}.plugins[${j + 1}]`, scope: { service: id } }));
  });
  list(doc.routes, "routes").forEach((r, i) => pendingRoutes.push({ input: r, path: `routes[${i + 1}]` }));

  const findService = (key: string | undefined) => (key === undefined ? undefined : services.get(key) ?? services.get(`name:${key}`));
  for (const { input, path, service } of pendingRoutes) {
    const { plugins: nestedPlugins, service: svcRef, ...rest } = input;
    const c = checkRoute(rest, {}, path);
    if (!c.ok) {
      errors.push(...c.errors);
      continue;
    }
    let serviceId = service;
    if (serviceId === undefined && svcRef !== undefined && svcRef !== null) {
      const s = findService(ref(svcRef));
      if (!s) {
        errors.push({ path: `${path}.service`, message: `no service named ${JSON.stringify(ref(svcRef))}` });
        continue;
      }
      serviceId = s.id;
    }
    const v = c.value;
    const id = (v.id as string) ?? stableId("route", (v.name as string) ?? path);
    const t = tick();
    const route = { ...v, id, service: serviceId ? { id: serviceId } : null, created_at: t, updated_at: t } as unknown as Route;
    if (routes.has(id)) errors.push({ path, message: `duplicate route ${v.name ?? id}` });
    routes.set(id, route);
    if (route.name) routes.set(`name:${route.name}`, route);
    list(nestedPlugins, `${path}.plugins`).forEach((p, j) => pendingPlugins.push({ input: p, path: `${path}.plugins[${j + 1}]`, scope: { route: id } }));
  }

  list(doc.consumers, "consumers").forEach((cIn, i) => {
    const path = `consumers[${i + 1}]`;
    const { acls, plugins: nestedPlugins, ...rest } = cIn;
    const c = checkConsumer(rest, {}, path);
    if (!c.ok) return void errors.push(...c.errors);
    const v = c.value;
    const id = (v.id as string) ?? stableId("consumer", (v.username as string) ?? `custom:${v.custom_id}`);
    const t = tick();
    const consumer = { ...v, id, type: "proxy", idp_connection: null, created_at: t, updated_at: t } as unknown as Consumer;
    consumers.set(id, consumer);
    if (consumer.username) consumers.set(`name:${consumer.username}`, consumer);
    list(acls, `${path}.acls`).forEach((a, j) => pendingAcls.push({ input: a, path: `${path}.acls[${j + 1}]`, consumer: id }));
    list(nestedPlugins, `${path}.plugins`).forEach((p, j) => pendingPlugins.push({ input: p, path: `${path}.plugins[${j + 1}]`, scope: { consumer: id } }));
  });
  list(doc.acls, "acls").forEach((a, i) => pendingAcls.push({ input: a, path: `acls[${i + 1}]` }));
  list(doc.plugins, "plugins").forEach((p, i) => pendingPlugins.push({ input: p, path: `plugins[${i + 1}]`, scope: {} }));

  const findRoute = (key: string | undefined) => (key === undefined ? undefined : routes.get(key) ?? routes.get(`name:${key}`));
  const findConsumer = (key: string | undefined) => (key === undefined ? undefined : consumers.get(key) ?? consumers.get(`name:${key}`));

  const acls: Acl[] = [];
  for (const { input, path, consumer } of pendingAcls) {
    const { consumer: cRef, ...rest } = input;
    const c = checkAcl(rest, {}, path);
    if (!c.ok) {
      errors.push(...c.errors);
      continue;
    }
    const owner = consumer ?? findConsumer(ref(cRef))?.id;
    if (!owner) {
      errors.push({ path: `${path}.consumer`, message: cRef === undefined ? "required field missing" : `no consumer named ${JSON.stringify(ref(cRef))}` });
      continue;
    }
    acls.push({ id: (c.value.id as string) ?? stableId("acl", `${owner}:${c.value.group}`), consumer: { id: owner }, group: c.value.group as string, tags: c.value.tags as string[], created_at: tick() });
  }

  const plugins: Plugin[] = [];
  const seen = new Set<string>();
  for (const { input, path, scope } of pendingPlugins) {
    const { service: sRef, route: rRef, consumer: cRef, ...rest } = input;
    const resolved: { service: string | null; route: string | null; consumer: string | null } = {
      service: scope.service ?? null,
      route: scope.route ?? null,
      consumer: scope.consumer ?? null,
    };
    let bad = false;
    const resolve = (key: "service" | "route" | "consumer", v: unknown, find: (k: string | undefined) => { id: string } | undefined) => {
      if (v === undefined || v === null) return;
      const e = find(ref(v));
      if (!e) {
        errors.push({ path: `${path}.${key}`, message: `no ${key} named ${JSON.stringify(ref(v))}` });
        bad = true;
      } else resolved[key] = e.id;
    };
    resolve("service", sRef, findService);
    resolve("route", rRef, findRoute);
    resolve("consumer", cRef, findConsumer);
    if (bad) continue;
    const c = checkPlugin(
      { ...rest, service: resolved.service ? { id: resolved.service } : null, route: resolved.route ? { id: resolved.route } : null, consumer: resolved.consumer ? { id: resolved.consumer } : null },
      {},
      path,
    );
    if (!c.ok) {
      errors.push(...c.errors);
      continue;
    }
    const v = c.value;
    const key = `${v.name}|${resolved.service}|${resolved.route}|${resolved.consumer}`;
    if (seen.has(key)) {
      errors.push({ path, message: `duplicate plugin ${v.name} for the same service, route and consumer` });
      continue;
    }
    seen.add(key);
    const t = tick();
    plugins.push({
      ...(v as unknown as Plugin),
      id: (v.id as string) ?? stableId("plugin", key),
      service: resolved.service ? { id: resolved.service } : null,
      route: resolved.route ? { id: resolved.route } : null,
      consumer: resolved.consumer ? { id: resolved.consumer } : null,
      created_at: t,
      updated_at: t,
    });
  }

  snapshot.services = [...new Map([...services].filter(([k]) => !k.startsWith("name:"))).values()];
  snapshot.routes = [...routes].filter(([k]) => !k.startsWith("name:")).map(([, r]) => r);
  snapshot.consumers = [...consumers].filter(([k]) => !k.startsWith("name:")).map(([, c]) => c);
  snapshot.acls = acls;
  snapshot.plugins = plugins;
  snapshot.session_secret = createHash("sha256").update(`gatehouse-dbless-session:${env.GATEHOUSE_SECRET ?? substituted}`).digest("base64url");
  return { snapshot, errors };
}

export function loadDeclarativeFile(file: string, env: Record<string, string | undefined>): Snapshot {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new DeclarativeError(file, [{ path: "(file)", message: (err as Error).message }]);
  }
  const { snapshot, errors } = parseDeclarative(text, env);
  if (errors.length) throw new DeclarativeError(file, errors);
  return snapshot;
}
