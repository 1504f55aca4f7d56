/**
 * Kong's entities on the Admin API: /services, /routes, /consumers, /plugins,
 * /consumers/{id}/acls and the nested forms, by id or name, with PUT upsert,
 * PATCH merge, `offset`/`next` pagination and `tags` filters. Every write runs
 * in one transaction with the config_version bump (changeConfig).
 */
import crypto from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Acl, Consumer, Plugin, Route, Service } from "../../../gateway/contract/entities";
import { checkAcl, checkConsumer, checkPlugin, checkRoute, checkService, type Checked } from "../../../gateway/contract/entity-schemas";
import { mergeConfig, pluginSchema, PLUGIN_SCHEMAS } from "../../../gateway/contract/plugins";
import { defaultsOf } from "../../../gateway/contract/schema";
import { audit, type Actor } from "../audit";
import { changeConfig } from "../config-version";
import type { ControlPlane } from "../context";
import { json, type Database } from "../db/schema";
import {
  AdminError,
  badRequest,
  decodeOffset,
  encodeOffset,
  foreignKeyViolation,
  notFound,
  pageSize,
  schemaViolation,
  seconds,
  uniqueViolation,
  UUID,
  type AdminRequest,
  type AdminResponse,
} from "./http";

type Db = Kysely<Database> | Transaction<Database>;
type Table = "services" | "routes" | "consumers" | "plugins" | "acls";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = any;

const ADMIN_API: Actor = { type: "admin_api", label: "Admin API" };

// ---------- row <-> entity ----------

export function serviceEntity(r: Row): Service {
  return {
    id: r.id, name: r.name, protocol: r.protocol, host: r.host, port: r.port, path: r.path, retries: r.retries,
    connect_timeout: r.connect_timeout, write_timeout: r.write_timeout, read_timeout: r.read_timeout, enabled: r.enabled,
    tags: r.tags ?? [], created_at: seconds(r.created_at), updated_at: seconds(r.updated_at),
  };
}

export function routeEntity(r: Row): Route {
  return {
    id: r.id, name: r.name, service: r.service_id ? { id: r.service_id } : null, protocols: r.protocols, methods: r.methods,
    hosts: r.hosts, paths: r.paths, headers: r.headers, strip_path: r.strip_path, preserve_host: r.preserve_host,
    regex_priority: r.regex_priority, path_handling: r.path_handling, https_redirect_status_code: r.https_redirect_status_code,
    request_buffering: r.request_buffering, response_buffering: r.response_buffering, tags: r.tags ?? [],
    created_at: seconds(r.created_at), updated_at: seconds(r.updated_at),
  };
}

export function consumerEntity(r: Row): Consumer {
  return {
    id: r.id, username: r.username, custom_id: r.custom_id, type: r.type, idp_connection: r.idp_connection_id ? { id: r.idp_connection_id } : null,
    tags: r.tags ?? [], created_at: seconds(r.created_at), updated_at: seconds(r.updated_at),
  };
}

export function pluginEntity(r: Row): Plugin {
  return {
    id: r.id, name: r.name, instance_name: r.instance_name, config: r.config, service: r.service_id ? { id: r.service_id } : null,
    route: r.route_id ? { id: r.route_id } : null, consumer: r.consumer_id ? { id: r.consumer_id } : null, protocols: r.protocols,
    enabled: r.enabled, tags: r.tags ?? [], created_at: seconds(r.created_at), updated_at: seconds(r.updated_at),
  };
}

export function aclEntity(r: Row): Acl {
  return { id: r.id, consumer: { id: r.consumer_id }, group: r.group, tags: r.tags ?? [], created_at: seconds(r.created_at) };
}

const ENTITY: Record<Table, (r: Row) => unknown> = {
  services: serviceEntity, routes: routeEntity, consumers: consumerEntity, plugins: pluginEntity, acls: aclEntity,
};

// ---------- lookups ----------

async function byIdOrName(db: Db, table: "services" | "routes" | "consumers", key: string): Promise<Row | undefined> {
  const nameCol = table === "consumers" ? "username" : "name";
  let q = db.selectFrom(table).selectAll();
  q = UUID.test(key) ? q.where((eb) => eb.or([eb("id", "=", key), eb(nameCol, "=", key)])) : q.where(nameCol, "=", key);
  return q.executeTakeFirst();
}

async function mustFind(db: Db, table: "services" | "routes" | "consumers", key: string): Promise<Row> {
  const row = await byIdOrName(db, table, key);
  if (!row) throw notFound();
  return row;
}

async function pluginByKey(db: Db, key: string): Promise<Row | undefined> {
  let q = db.selectFrom("plugins").selectAll();
  q = UUID.test(key) ? q.where((eb) => eb.or([eb("id", "=", key), eb("instance_name", "=", key)])) : q.where("instance_name", "=", key);
  return q.executeTakeFirst();
}

/** A foreign key given as {id} or {name} (or {username}), resolved to an id. */
async function resolveFk(db: Db, table: "services" | "routes" | "consumers", field: string, v: unknown): Promise<string | null> {
  if (v === undefined || v === null) return null;
  const key = typeof v === "string" ? v : typeof v === "object" ? ((v as Record<string, unknown>).id ?? (v as Record<string, unknown>).name ?? (v as Record<string, unknown>).username) : undefined;
  if (typeof key !== "string" || !key) throw schemaViolation([{ path: field, message: "expected a record with id or name" }]);
  const row = await byIdOrName(db, table, key);
  if (!row) throw foreignKeyViolation(`the foreign key '{id="${key}"}' does not reference an existing '${table}' entity.`, { [field]: `the foreign key '{id="${key}"}' does not reference an existing '${table}' entity.` });
  return row.id;
}

// ---------- listing ----------

async function list(db: Db, table: Table, req: AdminRequest, filter?: (q: Row) => Row): Promise<AdminResponse> {
  const size = pageSize(req.query);
  const offset = decodeOffset(req.query.get("offset"));
  let q: Row = db.selectFrom(table).selectAll();
  if (filter) q = filter(q);
  const tags = req.query.get("tags");
  if (tags) {
    const or = tags.includes("/");
    const list = tags.split(or ? "/" : ",").map((t) => t.trim()).filter(Boolean);
    q = q.where((eb: Row) => (or ? eb.or : eb.and)(list.map((t) => sql<boolean>`tags @> ${JSON.stringify([t])}::jsonb`)));
  }
  for (const f of ["name", "username", "custom_id", "group"]) {
    const v = req.query.get(f);
    if (v !== null && ((table === "consumers" && (f === "username" || f === "custom_id")) || (table === "acls" && f === "group"))) q = q.where(f, "=", v);
  }
  if (offset) {
    q = q.where((eb: Row) => eb.or([eb("created_at", ">", offset.createdAt), eb.and([eb("created_at", "=", offset.createdAt), eb("id", ">", offset.id)])]));
  }
  const rows: Row[] = await q.orderBy("created_at").orderBy("id").limit(size + 1).execute();
  const more = rows.length > size;
  const page = more ? rows.slice(0, size) : rows;
  const data = page.map(ENTITY[table]);
  if (!more) return { status: 200, body: { data, next: null } };
  const last = page[page.length - 1];
  const next = encodeOffset(new Date(last.created_at), last.id);
  const params = new URLSearchParams(req.query);
  params.set("offset", next);
  return { status: 200, body: { data, next: `${req.path}?${params}`, offset: next } };
}

// ---------- validation helpers ----------

function ok(c: Checked): Record<string, unknown> {
  if (!c.ok) throw schemaViolation(c.errors);
  return c.value;
}

function stripMeta(e: Record<string, unknown>): Record<string, unknown> {
  const { created_at: _c, updated_at: _u, ...rest } = e;
  return rest;
}

function refuseApplicationConsumer(row: Row): void {
  if (row.type === "application") {
    throw badRequest(
      `consumer ${row.id} is of type 'application': it belongs to a portal application and is managed by the portal (approve or revoke the application's registrations instead)`,
      { type: "application consumers are managed by the portal" },
    );
  }
}

async function checkUnique(db: Db, table: Table, field: string, value: unknown, selfId: string | null, entity: string): Promise<void> {
  if (value === null || value === undefined) return;
  let q: Row = (db.selectFrom(table) as Row).select("id").where(field, "=", value);
  if (table === "consumers" && field === "custom_id") q = q.where("type", "=", "proxy");
  if (selfId) q = q.where("id", "!=", selfId);
  if (await q.executeTakeFirst()) throw uniqueViolation(entity, field, value);
}

function dbError(err: unknown): never {
  const e = err as { code?: string; detail?: string; constraint?: string; message?: string };
  if (e.code === "23505") throw new AdminError(409, { code: 5, name: "unique constraint violation", message: `UNIQUE violation detected (${e.constraint ?? e.detail ?? "duplicate"})` });
  if (e.code === "23503") throw foreignKeyViolation(`foreign key violation (${e.constraint ?? e.detail ?? ""}): another entity references this one`);
  throw err;
}

async function write<T>(cp: ControlPlane, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    return await changeConfig(cp.db, cp.configEvents, fn);
  } catch (err) {
    if (err instanceof AdminError) throw err;
    return dbError(err);
  }
}

// ---------- services ----------

function serviceRow(v: Record<string, unknown>) {
  return {
    name: (v.name as string | null) ?? null, protocol: v.protocol as "http" | "https", host: v.host as string, port: v.port as number,
    path: (v.path as string | null) ?? null, retries: v.retries as number, connect_timeout: v.connect_timeout as number,
    write_timeout: v.write_timeout as number, read_timeout: v.read_timeout as number, enabled: v.enabled as boolean, tags: json(v.tags ?? []),
  };
}

async function saveService(cp: ControlPlane, req: AdminRequest, existing: Row | undefined, input: Record<string, unknown>, idHint?: string): Promise<AdminResponse> {
  const v = ok(checkService(input, { coerce: req.form }));
  return write(cp, async (trx) => {
    const id = existing?.id ?? (v.id as string | undefined) ?? idHint ?? crypto.randomUUID();
    await checkUnique(trx, "services", "name", v.name, existing?.id ?? null, "services");
    if (existing) await trx.updateTable("services").set({ ...serviceRow(v), updated_at: new Date() }).where("id", "=", id).execute();
    else await trx.insertInto("services").values({ id, ...serviceRow(v) }).execute();
    await audit(trx, ADMIN_API, existing ? "service.update" : "service.create", { type: "service", id });
    const row = await trx.selectFrom("services").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return { status: existing ? 200 : 201, body: serviceEntity(row) };
  });
}

async function deleteService(cp: ControlPlane, key: string): Promise<AdminResponse> {
  return write(cp, async (trx) => {
    const row = await byIdOrName(trx, "services", key);
    if (!row) return { status: 204 };
    const r = await trx.selectFrom("routes").select("id").where("service_id", "=", row.id).executeTakeFirst();
    if (r) throw foreignKeyViolation(`an existing 'routes' entity references this 'services' entity`, { "@referenced_by": "routes" });
    await trx.deleteFrom("services").where("id", "=", row.id).execute();
    await audit(trx, ADMIN_API, "service.delete", { type: "service", id: row.id });
    return { status: 204 };
  });
}

// ---------- routes ----------

function routeRow(v: Record<string, unknown>, serviceId: string | null) {
  const j = (x: unknown) => (x === null || x === undefined ? null : json(x));
  return {
    name: (v.name as string | null) ?? null, service_id: serviceId, protocols: json(v.protocols), methods: j(v.methods), hosts: j(v.hosts),
    paths: j(v.paths), headers: j(v.headers), strip_path: v.strip_path as boolean, preserve_host: v.preserve_host as boolean,
    regex_priority: v.regex_priority as number, path_handling: v.path_handling as "v0" | "v1",
    https_redirect_status_code: v.https_redirect_status_code as number, request_buffering: v.request_buffering as boolean,
    response_buffering: v.response_buffering as boolean, tags: json(v.tags ?? []),
  };
}

async function saveRoute(cp: ControlPlane, req: AdminRequest, existing: Row | undefined, input: Record<string, unknown>, forcedService?: string, idHint?: string): Promise<AdminResponse> {
  const { service, ...rest } = input;
  const v = ok(checkRoute(rest, { coerce: req.form }));
  return write(cp, async (trx) => {
    const serviceId = forcedService ?? (service === undefined && existing ? existing.service_id : await resolveFk(trx, "services", "service", service));
    const id = existing?.id ?? (v.id as string | undefined) ?? idHint ?? crypto.randomUUID();
    await checkUnique(trx, "routes", "name", v.name, existing?.id ?? null, "routes");
    if (existing) await trx.updateTable("routes").set({ ...routeRow(v, serviceId), updated_at: new Date() }).where("id", "=", id).execute();
    else await trx.insertInto("routes").values({ id, ...routeRow(v, serviceId) }).execute();
    await audit(trx, ADMIN_API, existing ? "route.update" : "route.create", { type: "route", id });
    const row = await trx.selectFrom("routes").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return { status: existing ? 200 : 201, body: routeEntity(row) };
  });
}

async function deleteRoute(cp: ControlPlane, row: Row | undefined): Promise<AdminResponse> {
  if (!row) return { status: 204 };
  return write(cp, async (trx) => {
    await trx.deleteFrom("routes").where("id", "=", row.id).execute();
    await audit(trx, ADMIN_API, "route.delete", { type: "route", id: row.id });
    return { status: 204 };
  });
}

// ---------- consumers ----------

async function saveConsumer(cp: ControlPlane, req: AdminRequest, existing: Row | undefined, input: Record<string, unknown>, idHint?: string): Promise<AdminResponse> {
  if (existing) refuseApplicationConsumer(existing);
  const { type, idp_connection: _i, ...rest } = input;
  if (type !== undefined && type !== "proxy") throw badRequest("consumers of type 'application' are created by the portal with their application", { type: "only 'proxy' consumers can be written through the Admin API" });
  const v = ok(checkConsumer(rest, { coerce: req.form }));
  return write(cp, async (trx) => {
    const id = existing?.id ?? (v.id as string | undefined) ?? idHint ?? crypto.randomUUID();
    await checkUnique(trx, "consumers", "username", v.username, existing?.id ?? null, "consumers");
    await checkUnique(trx, "consumers", "custom_id", v.custom_id, existing?.id ?? null, "consumers");
    const values = { username: (v.username as string | null) ?? null, custom_id: (v.custom_id as string | null) ?? null, tags: json(v.tags ?? []) };
    if (existing) await trx.updateTable("consumers").set({ ...values, updated_at: new Date() }).where("id", "=", id).execute();
    else await trx.insertInto("consumers").values({ id, type: "proxy", ...values }).execute();
    await audit(trx, ADMIN_API, existing ? "consumer.update" : "consumer.create", { type: "consumer", id });
    const row = await trx.selectFrom("consumers").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return { status: existing ? 200 : 201, body: consumerEntity(row) };
  });
}

// ---------- plugins ----------

interface PluginScope {
  service?: string;
  route?: string;
  consumer?: string;
}

async function savePlugin(cp: ControlPlane, req: AdminRequest, existing: Row | undefined, input: Record<string, unknown>, scope: PluginScope, idHint?: string, patch = false): Promise<AdminResponse> {
  return write(cp, async (trx) => {
    const merged: Record<string, unknown> = patch && existing ? { ...stripMeta(pluginEntity(existing) as unknown as Record<string, unknown>), ...input, config: mergeConfig(existing.config, input.config ?? {}) } : { ...input };
    if (patch && input.name !== undefined && input.name !== existing?.name) {
      // Kong resets config when the plugin name changes
      merged.config = input.config ?? {};
    }
    const serviceId = scope.service ?? (await resolveFk(trx, "services", "service", merged.service));
    const routeId = scope.route ?? (await resolveFk(trx, "routes", "route", merged.route));
    const consumerId = scope.consumer ?? (await resolveFk(trx, "consumers", "consumer", merged.consumer));
    const name = merged.name;
    if (typeof name === "string" && !pluginSchema(name)) {
      throw schemaViolation([{ path: "name", message: `plugin '${name}' not enabled; known plugins: ${Object.keys(PLUGIN_SCHEMAS).join(", ")}` }]);
    }
    const v = ok(
      checkPlugin(
        { ...merged, service: serviceId ? { id: serviceId } : null, route: routeId ? { id: routeId } : null, consumer: consumerId ? { id: consumerId } : null },
        { coerce: req.form },
      ),
    );
    const id = existing?.id ?? (v.id as string | undefined) ?? idHint ?? crypto.randomUUID();
    const dup = await trx
      .selectFrom("plugins")
      .select("id")
      .where("name", "=", v.name as string)
      .where((eb) => (serviceId ? eb("service_id", "=", serviceId) : eb("service_id", "is", null)))
      .where((eb) => (routeId ? eb("route_id", "=", routeId) : eb("route_id", "is", null)))
      .where((eb) => (consumerId ? eb("consumer_id", "=", consumerId) : eb("consumer_id", "is", null)))
      .where("id", "!=", id)
      .executeTakeFirst();
    if (dup) {
      throw new AdminError(409, {
        code: 5,
        name: "unique constraint violation",
        message: `UNIQUE violation detected on '{consumer=${consumerId ? `{id="${consumerId}"}` : "null"},name="${v.name}",route=${routeId ? `{id="${routeId}"}` : "null"},service=${serviceId ? `{id="${serviceId}"}` : "null"}}'`,
      });
    }
    await checkUnique(trx, "plugins", "instance_name", v.instance_name, existing?.id ?? null, "plugins");
    const values = {
      name: v.name as string, instance_name: (v.instance_name as string | null) ?? null, config: json(v.config), service_id: serviceId,
      route_id: routeId, consumer_id: consumerId, protocols: json(v.protocols), enabled: v.enabled as boolean, tags: json(v.tags ?? []),
    };
    if (existing) await trx.updateTable("plugins").set({ ...values, updated_at: new Date() }).where("id", "=", id).execute();
    else await trx.insertInto("plugins").values({ id, ...values }).execute();
    await audit(trx, ADMIN_API, existing ? "plugin.update" : "plugin.create", { type: "plugin", id }, { name: v.name });
    const row = await trx.selectFrom("plugins").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return { status: existing ? 200 : 201, body: pluginEntity(row) };
  });
}

async function deletePlugin(cp: ControlPlane, row: Row | undefined): Promise<AdminResponse> {
  if (!row) return { status: 204 };
  return write(cp, async (trx) => {
    await trx.deleteFrom("plugins").where("id", "=", row.id).execute();
    await audit(trx, ADMIN_API, "plugin.delete", { type: "plugin", id: row.id }, { name: row.name });
    return { status: 204 };
  });
}

/** GET/PATCH/PUT/DELETE of one plugin, optionally constrained to a scope. */
async function pluginItem(cp: ControlPlane, req: AdminRequest, key: string, scope: PluginScope): Promise<AdminResponse> {
  const row = await pluginByKey(cp.db, key);
  const inScope = (r: Row | undefined) =>
    r && (!scope.service || r.service_id === scope.service) && (!scope.route || r.route_id === scope.route) && (!scope.consumer || r.consumer_id === scope.consumer);
  const found = inScope(row) ? row : undefined;
  switch (req.method) {
    case "GET":
      if (!found) throw notFound();
      return { status: 200, body: pluginEntity(found) };
    case "PATCH":
      if (!found) throw notFound();
      return savePlugin(cp, req, found, req.body, scope, undefined, true);
    case "PUT":
      if (row && !found) throw notFound();
      return savePlugin(cp, req, found, req.body, scope, UUID.test(key) ? key : undefined);
    case "DELETE":
      return deletePlugin(cp, found);
  }
  throw methodNotAllowed();
}

function pluginCollection(cp: ControlPlane, req: AdminRequest, scope: PluginScope): Promise<AdminResponse> {
  if (req.method === "GET") {
    return list(cp.db, "plugins", req, (q) => {
      if (scope.service) q = q.where("service_id", "=", scope.service);
      if (scope.route) q = q.where("route_id", "=", scope.route);
      if (scope.consumer) q = q.where("consumer_id", "=", scope.consumer);
      return q;
    });
  }
  if (req.method === "POST") return savePlugin(cp, req, undefined, req.body, scope);
  throw methodNotAllowed();
}

// ---------- acls ----------

async function aclCollection(cp: ControlPlane, req: AdminRequest, consumer: Row): Promise<AdminResponse> {
  if (req.method === "GET") return list(cp.db, "acls", req, (q) => q.where("consumer_id", "=", consumer.id));
  if (req.method !== "POST") throw methodNotAllowed();
  refuseApplicationConsumer(consumer);
  const { consumer: _c, ...rest } = req.body;
  const v = ok(checkAcl(rest, { coerce: req.form }));
  return write(cp, async (trx) => {
    const dup = await trx.selectFrom("acls").select("id").where("consumer_id", "=", consumer.id).where("group", "=", v.group as string).executeTakeFirst();
    if (dup) throw new AdminError(409, { code: 5, name: "unique constraint violation", message: `UNIQUE violation detected on '{consumer={id="${consumer.id}"},group="${v.group}"}'` });
    const id = (v.id as string | undefined) ?? crypto.randomUUID();
    await trx.insertInto("acls").values({ id, consumer_id: consumer.id, group: v.group as string, tags: json(v.tags ?? []) }).execute();
    await audit(trx, ADMIN_API, "acl.create", { type: "consumer", id: consumer.id }, { group: v.group });
    const row = await trx.selectFrom("acls").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return { status: 201, body: aclEntity(row) };
  });
}

async function aclItem(cp: ControlPlane, req: AdminRequest, consumer: Row, key: string): Promise<AdminResponse> {
  let q = cp.db.selectFrom("acls").selectAll().where("consumer_id", "=", consumer.id);
  q = UUID.test(key) ? q.where((eb) => eb.or([eb("id", "=", key), eb("group", "=", key)])) : q.where("group", "=", key);
  const row = await q.executeTakeFirst();
  if (req.method === "GET") {
    if (!row) throw notFound();
    return { status: 200, body: aclEntity(row) };
  }
  if (req.method === "DELETE" || req.method === "PATCH" || req.method === "PUT") refuseApplicationConsumer(consumer);
  if (req.method === "DELETE") {
    if (!row) return { status: 204 };
    return write(cp, async (trx) => {
      await trx.deleteFrom("acls").where("id", "=", row.id).execute();
      await audit(trx, ADMIN_API, "acl.delete", { type: "consumer", id: consumer.id }, { group: row.group });
      return { status: 204 };
    });
  }
  if (req.method === "PATCH") {
    if (!row) throw notFound();
    const v = ok(checkAcl({ ...stripMeta(aclEntity(row) as unknown as Record<string, unknown>), consumer: undefined, ...req.body, id: row.id }, { coerce: req.form }));
    return write(cp, async (trx) => {
      await trx.updateTable("acls").set({ group: v.group as string, tags: json(v.tags ?? []) }).where("id", "=", row.id).execute();
      const r = await trx.selectFrom("acls").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow();
      return { status: 200, body: aclEntity(r) };
    });
  }
  throw methodNotAllowed();
}

function methodNotAllowed(): AdminError {
  return new AdminError(405, { message: "Method not allowed" });
}

// ---------- dispatch ----------

async function entityItem(
  cp: ControlPlane,
  req: AdminRequest,
  table: "services" | "routes" | "consumers",
  key: string,
  save: (existing: Row | undefined, input: Record<string, unknown>, idHint?: string) => Promise<AdminResponse>,
  del: (row: Row | undefined) => Promise<AdminResponse>,
  constrain?: (row: Row) => boolean,
): Promise<AdminResponse> {
  let row = await byIdOrName(cp.db, table, key);
  if (row && constrain && !constrain(row)) row = undefined;
  switch (req.method) {
    case "GET":
      if (!row) throw notFound();
      return { status: 200, body: ENTITY[table](row) };
    case "PATCH": {
      if (!row) throw notFound();
      const current = stripMeta(ENTITY[table](row) as Record<string, unknown>);
      if (table === "routes") delete current.service;
      if (table === "consumers") {
        delete current.type;
        delete current.idp_connection;
      }
      return save(row, { ...current, ...req.body, id: row.id });
    }
    case "PUT": {
      const nameField = table === "consumers" ? "username" : "name";
      const input = { ...req.body };
      if (!UUID.test(key) && input[nameField] === undefined) input[nameField] = key;
      return save(row, input, UUID.test(key) ? key : undefined);
    }
    case "DELETE":
      return del(row);
  }
  throw methodNotAllowed();
}

export async function kongRoutes(cp: ControlPlane, req: AdminRequest): Promise<AdminResponse | undefined> {
  const s = req.segments;
  const m = req.method;
  switch (s[0]) {
    case "services": {
      if (s.length === 1) {
        if (m === "GET") return list(cp.db, "services", req);
        if (m === "POST") return saveService(cp, req, undefined, req.body);
        throw methodNotAllowed();
      }
      if (s.length === 2) {
        return entityItem(cp, req, "services", s[1], (e, i, h) => saveService(cp, req, e, i, h), (r) => (r ? deleteService(cp, r.id) : Promise.resolve({ status: 204 })));
      }
      const svc = await mustFind(cp.db, "services", s[1]);
      if (s[2] === "routes") {
        if (s.length === 3) {
          if (m === "GET") return list(cp.db, "routes", req, (q) => q.where("service_id", "=", svc.id));
          if (m === "POST") return saveRoute(cp, req, undefined, req.body, svc.id);
          throw methodNotAllowed();
        }
        if (s.length === 4) {
          return entityItem(cp, req, "routes", s[3], (e, i, h) => saveRoute(cp, req, e, i, svc.id, h), (r) => deleteRoute(cp, r), (r) => r.service_id === svc.id);
        }
      }
      if (s[2] === "plugins") {
        if (s.length === 3) return pluginCollection(cp, req, { service: svc.id });
        if (s.length === 4) return pluginItem(cp, req, s[3], { service: svc.id });
      }
      return undefined;
    }
    case "routes": {
      if (s.length === 1) {
        if (m === "GET") return list(cp.db, "routes", req);
        if (m === "POST") return saveRoute(cp, req, undefined, req.body);
        throw methodNotAllowed();
      }
      if (s.length === 2) return entityItem(cp, req, "routes", s[1], (e, i, h) => saveRoute(cp, req, e, i, undefined, h), (r) => deleteRoute(cp, r));
      const route = await mustFind(cp.db, "routes", s[1]);
      if (s[2] === "plugins") {
        if (s.length === 3) return pluginCollection(cp, req, { route: route.id });
        if (s.length === 4) return pluginItem(cp, req, s[3], { route: route.id });
      }
      if (s[2] === "service" && s.length === 3 && m === "GET") {
        if (!route.service_id) throw notFound();
        const svc = await cp.db.selectFrom("services").selectAll().where("id", "=", route.service_id).executeTakeFirstOrThrow();
        return { status: 200, body: serviceEntity(svc) };
      }
      return undefined;
    }
    case "consumers": {
      if (s.length === 1) {
        if (m === "GET") return list(cp.db, "consumers", req);
        if (m === "POST") return saveConsumer(cp, req, undefined, req.body);
        throw methodNotAllowed();
      }
      if (s.length === 2) {
        return entityItem(cp, req, "consumers", s[1], (e, i, h) => saveConsumer(cp, req, e, i, h), async (r) => {
          if (!r) return { status: 204 };
          refuseApplicationConsumer(r);
          return write(cp, async (trx) => {
            await trx.deleteFrom("consumers").where("id", "=", r.id).execute();
            await audit(trx, ADMIN_API, "consumer.delete", { type: "consumer", id: r.id });
            return { status: 204 };
          });
        });
      }
      const consumer = await mustFind(cp.db, "consumers", s[1]);
      if (s[2] === "plugins") {
        if (s.length === 3) return pluginCollection(cp, req, { consumer: consumer.id });
        if (s.length === 4) return pluginItem(cp, req, s[3], { consumer: consumer.id });
      }
      if (s[2] === "acls") {
        if (s.length === 3) return aclCollection(cp, req, consumer);
        if (s.length === 4) return aclItem(cp, req, consumer, s[3]);
      }
      return undefined;
    }
    case "plugins": {
      if (s.length === 1) return pluginCollection(cp, req, {});
      if (s[1] === "enabled" && s.length === 2 && m === "GET") return { status: 200, body: { enabled_plugins: Object.keys(PLUGIN_SCHEMAS) } };
      if (s[1] === "schema" && s.length === 3 && m === "GET") return pluginSchemaResponse(s[2]);
      if (s.length === 2) return pluginItem(cp, req, s[1], {});
      return undefined;
    }
    case "schemas":
      if (s[1] === "plugins" && s.length === 3 && m === "GET") return pluginSchemaResponse(s[2]);
      return undefined;
    case "acls":
      if (s.length === 1 && m === "GET") return list(cp.db, "acls", req);
      return undefined;
  }
  return undefined;
}

function pluginSchemaResponse(name: string): AdminResponse {
  const schema = pluginSchema(name);
  if (!schema) throw notFound();
  return {
    status: 200,
    body: {
      name: schema.name,
      priority: schema.priority,
      scopes: schema.scopes,
      fields: schema.fields,
      defaults: defaultsOf(schema.fields),
      implemented: schema.implemented ? [...schema.implemented] : Object.keys(schema.fields),
    },
  };
}
