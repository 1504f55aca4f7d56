/**
 * acl (Kong's): allow or deny by group. Groups are the consumer's stored ACLs,
 * or the authenticated groups an auth plugin set (openid-connect's
 * authenticated_groups_claim) when no consumer was identified or
 * `always_use_authenticated_groups` is true.
 */
import { pluginPriority } from "../../contract/plugins";
import type { PluginHandler, PluginResponse } from "../types";

interface AclConfig {
  allow: string[] | null;
  deny: string[] | null;
  hide_groups_header: boolean;
  always_use_authenticated_groups: boolean;
}

const FORBIDDEN: PluginResponse = { status: 403, body: { message: "You cannot consume this service" } };

const handler: PluginHandler = {
  name: "acl",
  priority: pluginPriority("acl"),
  create(plugin) {
    const config = plugin.config as unknown as AclConfig;
    const allow = config.allow && config.allow.length ? new Set(config.allow) : null;
    const deny = config.deny && config.deny.length ? new Set(config.deny) : null;
    return {
      access(ctx) {
        let groups: readonly string[] | null = null;
        const authenticated = ctx.authenticated_groups;
        if (ctx.consumer && !(config.always_use_authenticated_groups && authenticated)) {
          groups = ctx.view.aclGroups(ctx.consumer.id);
        } else if (authenticated) {
          groups = authenticated;
        }
        if (groups === null) {
          if (ctx.credentialIdentifier) return FORBIDDEN;
          return { status: 401, body: { message: "Unauthorized" } };
        }
        const blocked = allow ? !groups.some((g) => allow.has(g)) : deny ? groups.some((g) => deny.has(g)) : false;
        if (blocked) return FORBIDDEN;
        if (!config.hide_groups_header && groups.length) ctx.upstreamHeaders.set("x-consumer-groups", groups.join(", "));
        else ctx.upstreamHeaders.remove("x-consumer-groups");
      },
    };
  },
};

export default handler;
