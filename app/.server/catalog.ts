/**
 * The catalog: services that carry the application-registration plugin, with
 * what a developer needs to call them (issuer when show_issuer is on, token
 * endpoint, auth methods, scopes, copyable curl commands) and their OpenAPI spec
 * (uploaded by an admin into service_specs, or portal-templates/specs/<name>.yaml|json).
 */
import type { Kysely } from "kysely";
import type { Database } from "./db/schema";
import { NotFoundError } from "./errors";
import { parseSpecDocument, specModel, type SpecModel } from "./openapi";
import { APPLICATION_REGISTRATION, isUuid } from "./registrations";
import type { Templates } from "./templates";

export interface CatalogService {
  id: string;
  name: string | null;
  display_name: string;
  description: string;
  auto_approve: boolean;
  /** The issuer identifier ({issuer}/.well-known/openid-configuration resolves), when show_issuer is on. */
  issuer?: string;
  token_endpoint?: string;
  auth_methods: string[];
  scopes: string[];
  /** Where the API is called through the gateway. */
  url: string;
  curl: { token?: string; call: string };
  has_spec: boolean;
}

const WELL_KNOWN = /\/\.well-known\/(openid-configuration|oauth-authorization-server)$/;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export class Catalog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly templates: Templates,
    private readonly urls: { public: string; proxy: string; issuer: string },
  ) {}

  async list(): Promise<CatalogService[]> {
    const rows = await this.db
      .selectFrom("plugins as p")
      .innerJoin("services as s", "s.id", "p.service_id")
      .select(["s.id", "s.name", "p.config"])
      .where("p.name", "=", APPLICATION_REGISTRATION)
      .where("p.enabled", "=", true)
      .where("p.route_id", "is", null)
      .where("p.consumer_id", "is", null)
      .where("s.enabled", "=", true)
      .execute();
    const out = await Promise.all(rows.map((r) => this.#describe(r.id, r.name, r.config)));
    return out.sort((a, b) => a.display_name.localeCompare(b.display_name));
  }

  async get(idOrName: string): Promise<CatalogService> {
    const all = await this.list();
    const s = all.find((x) => x.id === idOrName || (!isUuid(idOrName) && x.name === idOrName));
    if (!s) throw new NotFoundError("no such service in the catalog");
    return s;
  }

  async #describe(id: string, name: string | null, config: Record<string, unknown>): Promise<CatalogService> {
    const oidc = await this.db
      .selectFrom("plugins")
      .select("config")
      .where("name", "=", "openid-connect")
      .where("service_id", "=", id)
      .where("enabled", "=", true)
      .executeTakeFirst();
    const oc = oidc?.config ?? {};
    let issuer = typeof oc.issuer === "string" && oc.issuer ? oc.issuer.replace(WELL_KNOWN, "") : this.urls.issuer;
    if (issuer.endsWith("/") && !issuer.endsWith("://")) {
      // keep a trailing slash only where an IdP connection has it (Auth0)
      const exact = await this.db.selectFrom("idp_connections").select("issuer").where("issuer", "=", issuer).executeTakeFirst();
      if (!exact) issuer = issuer.replace(/\/$/, "");
    }
    const conn = await this.db.selectFrom("idp_connections").select(["mode", "discovery"]).where("issuer", "=", issuer).executeTakeFirst();
    let token_endpoint: string | undefined;
    if (conn?.mode === "builtin" || issuer === this.urls.issuer) token_endpoint = `${this.urls.issuer}/token`;
    else if (typeof conn?.discovery?.token_endpoint === "string") token_endpoint = conn.discovery.token_endpoint;
    const scopes = [...new Set([...strings(oc.scopes_required).flatMap((s) => s.split(/\s+/)), ...strings(oc.scopes).filter((s) => s !== "openid")])].filter(Boolean);
    const auth_methods = strings(oc.auth_methods).length ? strings(oc.auth_methods) : ["bearer"];
    const route = await this.db.selectFrom("routes").select(["paths"]).where("service_id", "=", id).orderBy("created_at").executeTakeFirst();
    const path = route?.paths?.find((p) => p.startsWith("/") && !p.startsWith("~")) ?? "/";
    const url = this.urls.proxy.replace(/\/$/, "") + path;
    const spec = await this.db.selectFrom("service_specs").select("id").where("service_id", "=", id).executeTakeFirst();
    const show = config.show_issuer === true;
    const display = typeof config.display_name === "string" && config.display_name ? config.display_name : (name ?? id);
    const tokenCurl = token_endpoint
      ? [
          `curl -s -u "$CLIENT_ID:$CLIENT_SECRET"`,
          `-d grant_type=client_credentials`,
          ...(scopes.length ? [`-d scope=${shellQuote(scopes.join(" "))}`] : []),
          shellQuote(token_endpoint),
        ].join(" \\\n  ")
      : undefined;
    return {
      id,
      name,
      display_name: display,
      description: typeof config.description === "string" ? config.description : "",
      auto_approve: config.auto_approve === true,
      ...(show ? { issuer } : {}),
      ...(token_endpoint ? { token_endpoint } : {}),
      auth_methods,
      scopes,
      url,
      curl: { ...(tokenCurl ? { token: tokenCurl } : {}), call: `curl -H "Authorization: Bearer $ACCESS_TOKEN" ${shellQuote(url)}` },
      has_spec: !!spec || !!(name && this.#templateSpec(name)),
    };
  }

  #templateSpec(name: string): string | undefined {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) return undefined;
    for (const ext of ["yaml", "yml", "json"]) {
      const s = this.templates.read(`specs/${name}.${ext}`);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  /** The service's OpenAPI document as text (uploaded, else from portal-templates/specs). */
  async specText(serviceId: string, name: string | null): Promise<string | undefined> {
    const row = await this.db.selectFrom("service_specs").select("content").where("service_id", "=", serviceId).executeTakeFirst();
    return row?.content ?? (name ? this.#templateSpec(name) : undefined);
  }

  async spec(serviceId: string, name: string | null): Promise<{ model?: SpecModel; error?: string }> {
    const text = await this.specText(serviceId, name);
    if (text === undefined) return {};
    try {
      return { model: specModel(text) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** Stores an admin's upload (validated first). */
  async setSpec(serviceId: string, content: string, filename?: string | null): Promise<void> {
    if (content.length > 2 * 1024 * 1024) throw new Error("the spec is over 2 MiB");
    parseSpecDocument(content);
    const contentType = content.trimStart().startsWith("{") ? "application/json" : "application/yaml";
    await this.db
      .insertInto("service_specs")
      .values({ id: crypto.randomUUID(), service_id: serviceId, filename: filename ?? null, content_type: contentType, content })
      .onConflict((oc) => oc.column("service_id").doUpdateSet({ content, filename: filename ?? null, content_type: contentType, updated_at: new Date() }))
      .execute();
  }
}
