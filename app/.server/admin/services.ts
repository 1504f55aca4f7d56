/**
 * A service's place in the portal catalog, as an admin sets it in /admin:
 * the application-registration plugin on the service (display_name,
 * description, auto_approve, show_issuer, enable_proxy_with_consumer_credential;
 * validated by the plugin's schema in gateway/contract, written with a
 * config_version bump since data planes enforce it) and its OpenAPI spec
 * (service_specs; not part of the snapshot).
 */
import type { Kysely } from "kysely";
import YAML from "yaml";
import { describeErrors, validatePluginConfig } from "../../../gateway/contract/plugins";
import { audit, type Actor } from "../audit";
import { changeConfig, type ConfigEvents } from "../config-version";
import { json, type Database } from "../db/schema";
import { ValidationError } from "../developers";
import { APPLICATION_REGISTRATION, registrationPlugin } from "../registrations";
import { isUuid } from "./ids";

export interface ServicesDeps {
  db: Kysely<Database>;
  configEvents: ConfigEvents;
}

export interface RegistrationSettings {
  display_name: string;
  description?: string | null;
  auto_approve: boolean;
  show_issuer: boolean;
  enable_proxy_with_consumer_credential: boolean;
  enabled?: boolean;
}

async function requireService(db: Kysely<Database>, id: string) {
  const svc = isUuid(id) ? await db.selectFrom("services").select(["id", "name"]).where("id", "=", id).executeTakeFirst() : undefined;
  if (!svc) throw new ValidationError({ id: "No such service." });
  return svc;
}

/** Puts a service in the catalog (or changes its settings): the application-registration plugin on it. */
export async function saveServiceRegistration(deps: ServicesDeps, actor: Actor, serviceId: string, input: RegistrationSettings): Promise<string> {
  const svc = await requireService(deps.db, serviceId);
  const config: Record<string, unknown> = {
    display_name: input.display_name,
    auto_approve: input.auto_approve,
    show_issuer: input.show_issuer,
    enable_proxy_with_consumer_credential: input.enable_proxy_with_consumer_credential,
  };
  if (input.description) config.description = input.description;
  const r = validatePluginConfig(APPLICATION_REGISTRATION, config);
  if (!r.ok) throw new ValidationError(Object.fromEntries(r.errors.map((e) => [e.path, e.message])), describeErrors(r.errors));
  const existing = await registrationPlugin(deps.db, svc.id);
  const enabled = input.enabled ?? true;
  return changeConfig(deps.db, deps.configEvents, async (trx) => {
    let id = existing?.id;
    if (id) {
      await trx.updateTable("plugins").set({ config: json(r.value), enabled, updated_at: new Date() }).where("id", "=", id).execute();
    } else {
      id = crypto.randomUUID();
      await trx
        .insertInto("plugins")
        .values({ id, name: APPLICATION_REGISTRATION, service_id: svc.id, config: json(r.value), enabled, protocols: json(["http", "https"]) })
        .execute();
    }
    await audit(trx, actor, existing ? "service.registration.update" : "service.registration.create", { type: "service", id: svc.id }, {
      before: existing?.config ?? null,
      after: r.value,
      enabled,
    });
    return id;
  });
}

/** Takes a service out of the catalog (its plugin goes; registrations and ACLs stay for a later return). */
export async function removeServiceRegistration(deps: ServicesDeps, actor: Actor, serviceId: string): Promise<void> {
  const svc = await requireService(deps.db, serviceId);
  const existing = await registrationPlugin(deps.db, svc.id);
  if (!existing) return;
  await changeConfig(deps.db, deps.configEvents, async (trx) => {
    await trx.deleteFrom("plugins").where("id", "=", existing.id).execute();
    await audit(trx, actor, "service.registration.delete", { type: "service", id: svc.id }, { before: existing.config });
  });
}

const SPEC_MAX = 2 * 1024 * 1024;

/** Stores (or with empty content removes) a service's OpenAPI document; JSON or YAML, checked to parse. */
export async function saveServiceSpec(db: Kysely<Database>, actor: Actor, serviceId: string, filename: string, content: string): Promise<void> {
  const svc = await requireService(db, serviceId);
  if (!content.trim()) {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("service_specs").where("service_id", "=", svc.id).execute();
      await audit(trx, actor, "service.spec.delete", { type: "service", id: svc.id });
    });
    return;
  }
  if (Buffer.byteLength(content) > SPEC_MAX) throw new ValidationError({ spec: `A spec is at most ${SPEC_MAX} bytes.` });
  let doc: unknown;
  let contentType = "application/json";
  try {
    doc = JSON.parse(content);
  } catch {
    try {
      doc = YAML.parse(content);
      contentType = "application/yaml";
    } catch (err) {
      throw new ValidationError({ spec: `The spec is neither JSON nor YAML: ${(err as Error).message.split("\n")[0]}` });
    }
  }
  if (!doc || typeof doc !== "object" || (!("openapi" in doc) && !("swagger" in doc))) {
    throw new ValidationError({ spec: 'The spec must be an OpenAPI document (a top-level "openapi" or "swagger" field).' });
  }
  const name = (filename || (contentType === "application/json" ? "openapi.json" : "openapi.yaml")).slice(0, 200);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("service_specs")
      .values({ id: crypto.randomUUID(), service_id: svc.id, filename: name, content_type: contentType, content })
      .onConflict((oc) => oc.column("service_id").doUpdateSet({ filename: name, content_type: contentType, content, updated_at: new Date() }))
      .execute();
    await audit(trx, actor, "service.spec.update", { type: "service", id: svc.id }, { filename: name, bytes: Buffer.byteLength(content) });
  });
}
