/**
 * acl: allow or deny by consumer group (Kong's acl plugin). Groups come from the
 * consumer's stored ACLs, or from the authenticated groups an auth plugin set
 * (openid-connect's authenticated_groups_claim) when
 * always_use_authenticated_groups is true or no consumer is identified.
 */
import type { FieldError } from "../schema";
import { f, type PluginSchema } from "./types";

export const aclSchema: PluginSchema = {
  name: "acl",
  priority: 950,
  scopes: { global: true, service: true, route: true, consumer: false },
  fields: {
    allow: f.strs(),
    deny: f.strs(),
    hide_groups_header: f.bool(false),
    always_use_authenticated_groups: f.bool(false),
    // Kong 3.4+: consumer groups count as ACL groups. Gatehouse has no consumer groups.
    include_consumer_groups: f.bool(false),
  },
  implemented: new Set(["allow", "deny", "hide_groups_header", "always_use_authenticated_groups"]),
  check(config): FieldError[] {
    const allow = config.allow as string[] | null;
    const deny = config.deny as string[] | null;
    const has = (a: string[] | null) => Array.isArray(a) && a.length > 0;
    if (has(allow) && has(deny)) {
      return [{ path: "config", message: "only one of these fields must be non-empty: 'config.allow', 'config.deny'" }];
    }
    if (!has(allow) && !has(deny)) {
      return [{ path: "config", message: "at least one of these fields must be non-empty: 'config.allow', 'config.deny'" }];
    }
    return [];
  },
};
