/**
 * Registrations (application_instances) and developer status: the ONE place where
 * approvals, rejections, revocations and deletions change what the gateway
 * enforces. Portal auto-approve, /admin and the Admin API all call these.
 *
 * ACL feed (Kong's model): approving an application_instance adds ACL group =
 * service id to the application's consumer (consumers.type = 'application');
 * reject, revoke and delete remove it; revoking, rejecting or deleting a developer
 * does it for all their applications. Every change bumps config_version in the
 * same transaction and writes an audit row; the developer gets an email (with
 * the optional reason) through email_outbox, in the same transaction.
 */
import type { Kysely, Transaction } from "kysely";
import { audit, type Actor } from "./audit";
import { removeApplicationRows } from "./application-rows";
import { bumpConfigVersion, type ConfigEvents } from "./config-version";
import type { Keyring } from "./crypto";
import type { Application, ApplicationInstance, Database, Developer, DeveloperStatus, InstanceStatus } from "./db/schema";
import type { EmailTemplate } from "./email";

/** What these functions need; the ControlPlane (`cp`) satisfies it. */
export interface RegistrationsContext {
  db: Kysely<Database>;
  configEvents: ConfigEvents;
  keyring: Keyring;
  portal?: { emails?: { enqueue(trx: Transaction<Database>, t: EmailTemplate, to: string, data: Record<string, unknown>): Promise<void> } };
}

export interface DecisionOptions {
  /** Shown to the developer in the email, kept on the instance and in the audit log. */
  reason?: string | null;
}

export class RegistrationError extends Error {
  override name = "RegistrationError";
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const APPLICATION_REGISTRATION = "application-registration";

function actorLabel(actor: Actor): string {
  return actor.type === "system" ? "system" : `${actor.type}:${actor.label ?? actor.id ?? "?"}`;
}

function cleanReason(reason: string | null | undefined): string | null {
  if (typeof reason !== "string") return null;
  const r = reason.trim().slice(0, 1000);
  return r || null;
}

async function runChange<T>(ctx: RegistrationsContext, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  let version = 0;
  const out = await ctx.db.transaction().execute(async (trx) => {
    const r = await fn(trx);
    version = await bumpConfigVersion(trx);
    return r;
  });
  ctx.configEvents.observe(version);
  return out;
}

interface InstanceRow {
  instance: ApplicationInstance;
  app: Application;
  developer: Developer;
  serviceName: string;
}

async function loadInstance(trx: Transaction<Database>, instanceId: string): Promise<InstanceRow> {
  if (!isUuid(instanceId)) throw new RegistrationError(404, "no such application instance");
  const instance = await trx.selectFrom("application_instances").selectAll().where("id", "=", instanceId).forUpdate().executeTakeFirst();
  if (!instance) throw new RegistrationError(404, "no such application instance");
  const app = await trx.selectFrom("applications").selectAll().where("id", "=", instance.application_id).executeTakeFirstOrThrow();
  const developer = await trx.selectFrom("developers").selectAll().where("id", "=", app.developer_id).executeTakeFirstOrThrow();
  const svc = await trx.selectFrom("services").select(["name", "id"]).where("id", "=", instance.service_id).executeTakeFirstOrThrow();
  return { instance, app, developer, serviceName: await serviceDisplayName(trx, svc.id, svc.name) };
}

export async function serviceDisplayName(db: Kysely<Database> | Transaction<Database>, serviceId: string, fallback: string | null): Promise<string> {
  const plugin = await db
    .selectFrom("plugins")
    .select("config")
    .where("name", "=", APPLICATION_REGISTRATION)
    .where("service_id", "=", serviceId)
    .executeTakeFirst();
  const dn = plugin?.config?.display_name;
  return typeof dn === "string" && dn ? dn : (fallback ?? serviceId);
}

export function isUuid(v: unknown): v is string {
  return typeof v === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}

async function ensureConsumer(trx: Transaction<Database>, app: Application): Promise<string> {
  if (app.consumer_id) return app.consumer_id;
  // every application owns a consumer from creation; this repairs one that an admin removed
  const id = crypto.randomUUID();
  await trx
    .insertInto("consumers")
    .values({ id, username: app.client_id ? null : `app-${app.id}`, custom_id: app.client_id, type: "application", idp_connection_id: app.idp_connection_id })
    .execute();
  await trx.updateTable("applications").set({ consumer_id: id, updated_at: new Date() }).where("id", "=", app.id).execute();
  return id;
}

async function grantAcl(trx: Transaction<Database>, app: Application, serviceId: string): Promise<void> {
  const consumerId = await ensureConsumer(trx, app);
  await trx
    .insertInto("acls")
    .values({ id: crypto.randomUUID(), consumer_id: consumerId, group: serviceId })
    .onConflict((oc) => oc.columns(["consumer_id", "group"]).doNothing())
    .execute();
}

async function dropAcl(trx: Transaction<Database>, app: Application, serviceId: string): Promise<void> {
  if (!app.consumer_id) return;
  await trx.deleteFrom("acls").where("consumer_id", "=", app.consumer_id).where("group", "=", serviceId).execute();
}

const DECISION_EMAIL: Partial<Record<InstanceStatus, EmailTemplate>> = {
  approved: "registration-approved",
  rejected: "registration-rejected",
  revoked: "registration-revoked",
};

async function decideIn(
  ctx: RegistrationsContext,
  trx: Transaction<Database>,
  row: InstanceRow,
  status: Exclude<InstanceStatus, "pending">,
  actor: Actor,
  opts: DecisionOptions,
): Promise<ApplicationInstance> {
  const reason = cleanReason(opts.reason);
  const updated = await trx
    .updateTable("application_instances")
    .set({ status, decided_by: actorLabel(actor), decided_at: new Date(), reason, updated_at: new Date() })
    .where("id", "=", row.instance.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (status === "approved") await grantAcl(trx, row.app, row.instance.service_id);
  else await dropAcl(trx, row.app, row.instance.service_id);
  await audit(trx, actor, `application_instance.${status === "approved" ? "approve" : status === "rejected" ? "reject" : "revoke"}`, { type: "application_instance", id: row.instance.id }, {
    application_id: row.app.id,
    service_id: row.instance.service_id,
    from: row.instance.status,
    reason,
  });
  const template = DECISION_EMAIL[status];
  if (template && ctx.portal?.emails) {
    await ctx.portal.emails.enqueue(trx, template, row.developer.email, {
      full_name: row.developer.full_name,
      application_name: row.app.name,
      service_name: row.serviceName,
      reason,
    });
  }
  return updated;
}

async function decide(
  ctx: RegistrationsContext,
  instanceId: string,
  status: Exclude<InstanceStatus, "pending">,
  actor: Actor,
  opts: DecisionOptions = {},
): Promise<ApplicationInstance> {
  return runChange(ctx, async (trx) => decideIn(ctx, trx, await loadInstance(trx, instanceId), status, actor, opts));
}

/** Approves an application_instance: ACL group = service id on the application's consumer. */
export function approveInstance(ctx: RegistrationsContext, instanceId: string, actor: Actor, opts: DecisionOptions = {}) {
  return decide(ctx, instanceId, "approved", actor, opts);
}

/** Rejects an application_instance (removes its ACL if it had one). */
export function rejectInstance(ctx: RegistrationsContext, instanceId: string, actor: Actor, opts: DecisionOptions = {}) {
  return decide(ctx, instanceId, "rejected", actor, opts);
}

/** Revokes an application_instance: its ACL goes. */
export function revokeInstance(ctx: RegistrationsContext, instanceId: string, actor: Actor, opts: DecisionOptions = {}) {
  return decide(ctx, instanceId, "revoked", actor, opts);
}

/** Sets an instance's status by word (Admin API PATCH {status}); Kong's numeric codes 0/1/2/3 are accepted too. */
export function setInstanceStatus(ctx: RegistrationsContext, instanceId: string, status: unknown, actor: Actor, opts: DecisionOptions = {}) {
  const s = parseInstanceStatus(status);
  if (!s || s === "pending") throw new RegistrationError(400, "status must be one of approved, rejected, revoked", "status");
  return decide(ctx, instanceId, s, actor, opts);
}

export function parseInstanceStatus(v: unknown): InstanceStatus | undefined {
  const byCode: Record<string, InstanceStatus> = { "0": "approved", "1": "pending", "2": "rejected", "3": "revoked" };
  if (typeof v === "number") return byCode[String(v)];
  if (typeof v !== "string") return undefined;
  if (v in byCode) return byCode[v];
  return (["pending", "approved", "rejected", "revoked"] as const).find((s) => s === v);
}

/** Deletes an application_instance (and its ACL). */
export async function deleteInstance(ctx: RegistrationsContext, instanceId: string, actor: Actor, opts: DecisionOptions = {}): Promise<void> {
  await runChange(ctx, async (trx) => {
    const row = await loadInstance(trx, instanceId);
    await dropAcl(trx, row.app, row.instance.service_id);
    await trx.deleteFrom("application_instances").where("id", "=", instanceId).execute();
    await audit(trx, actor, "application_instance.delete", { type: "application_instance", id: instanceId }, {
      application_id: row.app.id,
      service_id: row.instance.service_id,
      from: row.instance.status,
      reason: cleanReason(opts.reason),
    });
    if (row.instance.status === "approved" && ctx.portal?.emails && actor.type !== "developer") {
      await ctx.portal.emails.enqueue(trx, "registration-revoked", row.developer.email, {
        full_name: row.developer.full_name,
        application_name: row.app.name,
        service_name: row.serviceName,
        reason: cleanReason(opts.reason),
      });
    }
  });
}

/** The services a developer may request: those carrying an enabled application-registration plugin. */
export async function registrationPlugin(db: Kysely<Database> | Transaction<Database>, serviceId: string) {
  return db
    .selectFrom("plugins")
    .select(["id", "config", "enabled"])
    .where("name", "=", APPLICATION_REGISTRATION)
    .where("service_id", "=", serviceId)
    .where("route_id", "is", null)
    .where("consumer_id", "is", null)
    .executeTakeFirst();
}

/**
 * A developer's application asks for access to a service. Pending, or approved at
 * once when the service's plugin has auto_approve (for a manual application only
 * after the developer proved possession of its client). A rejected or revoked
 * instance asked for again goes back to pending.
 */
export async function requestAccess(
  ctx: RegistrationsContext,
  applicationId: string,
  serviceId: unknown,
  actor: Actor,
  opts: { developerId?: string } = {},
): Promise<ApplicationInstance> {
  if (!isUuid(serviceId)) throw new RegistrationError(400, "service_id must be the id of a service from /api/v1/services", "service_id");
  return runChange(ctx, async (trx) => {
    const appQ = trx.selectFrom("applications").selectAll().where("id", "=", isUuid(applicationId) ? applicationId : "00000000-0000-0000-0000-000000000000");
    const app = await (opts.developerId ? appQ.where("developer_id", "=", opts.developerId) : appQ).forUpdate().executeTakeFirst();
    if (!app) throw new RegistrationError(404, "no such application");
    const plugin = await registrationPlugin(trx, serviceId);
    const svc = await trx.selectFrom("services").select(["id", "name"]).where("id", "=", serviceId).executeTakeFirst();
    if (!svc || !plugin || !plugin.enabled) {
      throw new RegistrationError(404, "no such service in the catalog (service_id must be one listed by /api/v1/services)", "service_id");
    }
    const conn = await trx.selectFrom("idp_connections").select("mode").where("id", "=", app.idp_connection_id).executeTakeFirstOrThrow();
    const developer = await trx.selectFrom("developers").selectAll().where("id", "=", app.developer_id).executeTakeFirstOrThrow();
    const serviceName = await serviceDisplayName(trx, svc.id, svc.name);

    const existing = await trx
      .selectFrom("application_instances")
      .selectAll()
      .where("application_id", "=", app.id)
      .where("service_id", "=", serviceId)
      .forUpdate()
      .executeTakeFirst();
    if (existing && (existing.status === "pending" || existing.status === "approved")) {
      throw new RegistrationError(409, `this application already has a registration for this service (${existing.status})`, "service_id");
    }
    let instance: ApplicationInstance;
    if (existing) {
      instance = await trx
        .updateTable("application_instances")
        .set({ status: "pending", decided_by: null, decided_at: null, reason: null, updated_at: new Date() })
        .where("id", "=", existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      instance = await trx
        .insertInto("application_instances")
        .values({ id: crypto.randomUUID(), application_id: app.id, service_id: serviceId, status: "pending" })
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    await audit(trx, actor, "application_instance.request", { type: "application_instance", id: instance.id }, { application_id: app.id, service_id: serviceId });
    const autoApprove = plugin.config?.auto_approve === true && (conn.mode !== "manual" || app.proof_of_possession_at !== null);
    if (autoApprove) {
      return decideIn(ctx, trx, { instance, app, developer, serviceName }, "approved", { type: "system", label: "auto_approve" }, {});
    }
    if (ctx.portal?.emails) {
      await ctx.portal.emails.enqueue(trx, "registration-requested", developer.email, {
        full_name: developer.full_name,
        application_name: app.name,
        service_name: serviceName,
        status: "pending",
      });
    }
    return instance;
  });
}

/** The developer withdraws a registration of their own application (pending or decided): it and its ACL go. */
export async function cancelRegistration(
  ctx: RegistrationsContext,
  applicationId: string,
  instanceId: string,
  actor: Actor,
  opts: { developerId?: string } = {},
): Promise<void> {
  if (!isUuid(applicationId) || !isUuid(instanceId)) throw new RegistrationError(404, "no such registration");
  const row = await ctx.db
    .selectFrom("application_instances as i")
    .innerJoin("applications as a", "a.id", "i.application_id")
    .select(["i.id", "a.developer_id"])
    .where("i.id", "=", instanceId)
    .where("a.id", "=", applicationId)
    .executeTakeFirst();
  if (!row || (opts.developerId && row.developer_id !== opts.developerId)) throw new RegistrationError(404, "no such registration");
  await deleteInstance(ctx, instanceId, actor);
}

const DEVELOPER_EMAIL: Partial<Record<DeveloperStatus, EmailTemplate>> = {
  approved: "developer-approved",
  rejected: "developer-rejected",
  revoked: "developer-revoked",
};

/**
 * Approves, rejects, revokes or deletes a developer. Rejecting, revoking and
 * deleting take every application of the developer off the gateway (their
 * approved instances become revoked and lose their ACLs; on delete the
 * applications, their consumers and IdP clients go) and end their sessions.
 */
export async function setDeveloperStatus(
  ctx: RegistrationsContext,
  developerId: string,
  action: "approve" | "reject" | "revoke" | "delete" | DeveloperStatus,
  actor: Actor,
  opts: DecisionOptions = {},
): Promise<Developer | null> {
  const map: Record<string, DeveloperStatus | "delete"> = {
    approve: "approved", approved: "approved", reject: "rejected", rejected: "rejected",
    revoke: "revoked", revoked: "revoked", delete: "delete", requested: "requested",
    "0": "approved", "1": "requested", "2": "rejected", "3": "revoked",
  };
  const target = map[String(action)];
  if (!target) throw new RegistrationError(400, "status must be one of approved, rejected, revoked (or action delete)", "status");
  if (!isUuid(developerId)) throw new RegistrationError(404, "no such developer");
  const reason = cleanReason(opts.reason);
  return runChange(ctx, async (trx) => {
    const dev = await trx.selectFrom("developers").selectAll().where("id", "=", developerId).forUpdate().executeTakeFirst();
    if (!dev) throw new RegistrationError(404, "no such developer");
    const apps = await trx.selectFrom("applications").selectAll().where("developer_id", "=", dev.id).execute();
    if (target === "delete") {
      for (const app of apps) await removeApplicationRows(trx, ctx.keyring, app);
      await trx.deleteFrom("sessions").where("developer_id", "=", dev.id).execute();
      await trx.deleteFrom("developers").where("id", "=", dev.id).execute();
      await audit(trx, actor, "developer.delete", { type: "developer", id: dev.id }, { email: dev.email, applications: apps.length, reason });
      return null;
    }
    if (target !== "approved" && target !== "requested") {
      for (const app of apps) {
        if (app.consumer_id) await trx.deleteFrom("acls").where("consumer_id", "=", app.consumer_id).execute();
        await trx
          .updateTable("application_instances")
          .set({ status: "revoked", decided_by: actorLabel(actor), decided_at: new Date(), reason: `developer ${target}`, updated_at: new Date() })
          .where("application_id", "=", app.id)
          .where("status", "=", "approved")
          .execute();
      }
      await trx.deleteFrom("sessions").where("developer_id", "=", dev.id).execute();
    }
    const updated = await trx
      .updateTable("developers")
      .set({ status: target, updated_at: new Date() })
      .where("id", "=", dev.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actor, `developer.${target}`, { type: "developer", id: dev.id }, { from: dev.status, reason, applications: apps.length });
    const template = DEVELOPER_EMAIL[target];
    if (template && dev.status !== target && ctx.portal?.emails) {
      await ctx.portal.emails.enqueue(trx, template, dev.email, { full_name: dev.full_name, reason });
    }
    return updated;
  });
}

/**
 * After a manual application proved possession of its client: its pending
 * requests to services with auto_approve are approved now (as auto_approve would
 * have done at request time).
 */
export async function approvePendingAutoApprovals(ctx: RegistrationsContext, applicationId: string): Promise<number> {
  const pending = await ctx.db
    .selectFrom("application_instances as i")
    .innerJoin("plugins as p", (j) => j.onRef("p.service_id", "=", "i.service_id").on("p.name", "=", APPLICATION_REGISTRATION))
    .select(["i.id", "p.config", "p.enabled"])
    .where("i.application_id", "=", applicationId)
    .where("i.status", "=", "pending")
    .execute();
  let n = 0;
  for (const row of pending) {
    if (row.enabled && row.config?.auto_approve === true) {
      await approveInstance(ctx, row.id, { type: "system", label: "auto_approve" });
      n++;
    }
  }
  return n;
}
