/**
 * application-registration (Kong Enterprise's Dev Portal plugin), service scope.
 *
 * Resolves the portal application a request comes from and lets it through only
 * when that application is approved for this service: a stored ACL with
 * group = service id on the application's consumer (written by the control
 * plane's approveInstance). Groups claimed in the token never count.
 *
 * The application comes from the token openid-connect verified
 * (`ctx.shared.oidc = { issuer, claims, token }`):
 *   1. the token's `iss` -> the IdP connections with exactly that issuer ->
 *      the claim each names (application_id, azp, client_id, appid...) -> the
 *      application registered under that connection with that client_id;
 *   2. else the consumer openid-connect mapped (Kong's way, consumer_claim),
 *      but only an application consumer whose IdP connection has the token's
 *      issuer.
 * So one instance serves every application of every IdP, and the same
 * client_id at two IdPs stays two applications: a token from IdP B naming a
 * client_id registered under IdP A is an unknown application.
 *
 * Refusals are 403 with a message a developer can act on (unknown application,
 * registration pending, rejected, revoked). Upstream gets X-Application-ID,
 * X-Application-Name and Kong's X-Consumer-* headers (the application's
 * consumer).
 *
 * enable_proxy_with_consumer_credential (off by default) is a bypass: a request
 * whose consumer an auth plugin identified as a plain (proxy) consumer, not an
 * application, is proxied without any registration check: no token but a
 * key-auth/basic-auth consumer, or a token that resolves to no application
 * but that openid-connect mapped to a proxy consumer.
 */
import { pluginPriority } from "../../contract/plugins";
import type { SnapshotApplication } from "../../contract/snapshot";
import type { PluginHandler, PluginResponse, RequestContext } from "../types";

interface ApplicationRegistrationConfig {
  display_name: string;
  description?: string | null;
  auto_approve: boolean;
  show_issuer: boolean;
  enable_proxy_with_consumer_credential: boolean;
}

interface OidcShared {
  issuer: string;
  claims: Record<string, unknown>;
  token?: string;
}

export type RefusalReason =
  | "no_credential"
  | "unknown_application"
  | "not_registered"
  | "registration_pending"
  | "registration_rejected"
  | "registration_revoked";

function refuse(status: 401 | 403, reason: RefusalReason, message: string): PluginResponse {
  return { status, body: { message, reason } };
}

/** Header values must be visible ASCII: anything else is percent-encoded. */
export function headerSafe(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : encodeURIComponent(v);
}

function claimValue(claims: Record<string, unknown>, name: string): string | undefined {
  const v = claims[name];
  if (typeof v === "string" && v) return v;
  // some IdPs put a one-element array where a string is expected
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "string" && v[0]) return v[0];
  return undefined;
}

function oidcOf(ctx: RequestContext): OidcShared | undefined {
  const o = ctx.shared.oidc as OidcShared | undefined;
  return o && typeof o.issuer === "string" && o.claims && typeof o.claims === "object" ? o : undefined;
}

/** The application a verified token belongs to, and how it was found (for messages). */
export function resolveApplication(
  ctx: RequestContext,
  oidc: OidcShared,
): { app?: SnapshotApplication; tried: { claim: string; value: string }[] } {
  const view = ctx.view;
  const tried: { claim: string; value: string }[] = [];
  for (const conn of view.idpConnectionsByIssuer(oidc.issuer)) {
    const value = claimValue(oidc.claims, conn.application_claim);
    if (value === undefined) continue;
    tried.push({ claim: conn.application_claim, value });
    const app = view.applicationByClientId(conn.id, value);
    if (app) return { app, tried };
  }
  const consumer = ctx.consumer;
  if (consumer && consumer.type === "application" && consumer.idp_connection) {
    const conn = view.snapshot.idp_connections.find((c) => c.id === consumer.idp_connection!.id);
    if (conn && conn.issuer === oidc.issuer) {
      const app = view.applicationByConsumerId(consumer.id);
      if (app) return { app, tried };
    }
  }
  return { tried };
}

const handler: PluginHandler = {
  name: "application-registration",
  priority: pluginPriority("application-registration"),
  create(plugin) {
    const config = plugin.config as unknown as ApplicationRegistrationConfig;
    const serviceLabel = config.display_name || "this API";
    return {
      access(ctx) {
        const service = ctx.service;
        if (!service) return; // service scope only: a route without a service has nothing to register for
        const oidc = oidcOf(ctx);
        if (!oidc) {
          if (ctx.consumer && !ctx.anonymous && config.enable_proxy_with_consumer_credential) return;
          return refuse(
            401,
            "no_credential",
            `${serviceLabel} needs an access token of a registered application: send Authorization: Bearer <token> from the issuer shown in the developer portal`,
          );
        }
        const { app, tried } = resolveApplication(ctx, oidc);
        if (!app && config.enable_proxy_with_consumer_credential && ctx.consumer && !ctx.anonymous && ctx.consumer.type !== "application") return;
        if (!app) {
          const what = tried.length ? tried.map((t) => `${t.claim}=${t.value}`).join(", ") : "no application claim";
          return refuse(
            403,
            "unknown_application",
            `unknown application: no application registered in the developer portal for issuer ${oidc.issuer} (${what}); register the application, or use a token of a registered one`,
          );
        }
        const groups = app.consumer_id ? ctx.view.aclGroups(app.consumer_id) : [];
        if (!groups.includes(service.id)) {
          const instance = ctx.view.applicationInstance(app.id, service.id);
          switch (instance?.status) {
            case "pending":
              return refuse(403, "registration_pending", `registration pending: application "${app.name}" waits for an administrator to approve its access to ${serviceLabel}`);
            case "rejected":
              return refuse(403, "registration_rejected", `registration rejected: application "${app.name}" was not approved for ${serviceLabel}; see the portal for the reason`);
            case "revoked":
              return refuse(403, "registration_revoked", `registration revoked: application "${app.name}" no longer has access to ${serviceLabel}; see the portal for the reason`);
            default:
              return refuse(403, "not_registered", `not registered: application "${app.name}" has not requested access to ${serviceLabel}; request it in the developer portal`);
          }
        }
        const consumer = app.consumer_id ? ctx.view.consumerById(app.consumer_id) : undefined;
        if (consumer && ctx.consumer?.id !== consumer.id) ctx.setConsumer(consumer, app.client_id ?? ctx.credentialIdentifier);
        ctx.upstreamHeaders.set("x-application-id", app.id);
        ctx.upstreamHeaders.set("x-application-name", headerSafe(app.name));
        ctx.shared.application = { id: app.id, name: app.name, client_id: app.client_id };
      },
    };
  },
};

export default handler;
