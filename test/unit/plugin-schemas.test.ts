import { describe, expect, it } from "vitest";
import {
  OIDC_IMPLEMENTED_FIELDS,
  mergeConfig,
  pluginPriority,
  validatePluginConfig,
  validatePluginScope,
} from "../../gateway/contract/plugins";
import { errorsToFields } from "../../gateway/contract/schema";

describe("plugin schemas", () => {
  it("fills Kong's defaults for openid-connect", () => {
    const r = validatePluginConfig("openid-connect", { issuer: "https://idp.example/" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.auth_methods).toContain("bearer");
    expect(r.value.consumer_by).toEqual(["username", "custom_id"]);
    expect(r.value.scopes_claim).toEqual(["scope"]);
    expect(r.value.upstream_access_token_header).toBe("authorization:bearer");
    expect(r.value.session_cookie_name).toBe("session");
    expect(r.value.scopes_required).toBeNull();
  });

  it("names the bad field like Kong", () => {
    const r = validatePluginConfig("openid-connect", { issuer: "https://idp.example/", scopes_required: "a" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual({ path: "config.scopes_required", message: "expected an array" });
    expect(errorsToFields(r.errors)).toEqual({ config: { scopes_required: "expected an array" } });
  });

  it("refuses a missing issuer, unknown fields and bad enum values", () => {
    const r = validatePluginConfig("openid-connect", { nope: 1, auth_methods: ["telepathy"] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.errors.map((e) => `${e.path}: ${e.message}`);
    expect(paths).toContain("config.issuer: required field missing");
    expect(paths).toContain("config.nope: unknown field");
    expect(paths.some((p) => p.startsWith("config.auth_methods[1]: expected one of"))).toBe(true);
  });

  it("accepts an unimplemented field at its default and refuses it otherwise", () => {
    const field = "login_action";
    expect(OIDC_IMPLEMENTED_FIELDS.has(field)).toBe(false);
    expect(validatePluginConfig("openid-connect", { issuer: "https://i.example", [field]: "upstream" }).ok).toBe(true);
    const r = validatePluginConfig("openid-connect", { issuer: "https://i.example", [field]: "redirect" });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([{ path: `config.${field}`, message: `not supported: ${field}` }]);
  });

  it("coerces form-encoded values: a single value for an array, booleans, numbers", () => {
    const r = validatePluginConfig("acl", { allow: "gold", hide_groups_header: "true" }, { coerce: true });
    expect(r).toEqual({ ok: true, value: { allow: ["gold"], deny: null, hide_groups_header: true, always_use_authenticated_groups: false, include_consumer_groups: false } });
    expect(validatePluginConfig("acl", { allow: ["a"], include_consumer_groups: true }).ok).toBe(false);
    const bad = validatePluginConfig("acl", { allow: "gold", hide_groups_header: "maybe" }, { coerce: true });
    expect(bad.ok).toBe(false);
  });

  it("acl needs exactly one of allow and deny", () => {
    expect(validatePluginConfig("acl", {}).ok).toBe(false);
    expect(validatePluginConfig("acl", { allow: ["a"], deny: ["b"] }).ok).toBe(false);
    expect(validatePluginConfig("acl", { deny: ["b"] }).ok).toBe(true);
  });

  it("application-registration: service scope only, display_name required", () => {
    expect(validatePluginConfig("application-registration", {}).ok).toBe(false);
    const r = validatePluginConfig("application-registration", { display_name: "Payments" });
    expect(r).toEqual({ ok: true, value: { display_name: "Payments", description: null, auto_approve: false, show_issuer: false, enable_proxy_with_consumer_credential: false } });
    expect(validatePluginScope("application-registration", {})).not.toEqual([]);
    expect(validatePluginScope("application-registration", { route: { id: "r" }, service: { id: "s" } }).map((e) => e.path)).toEqual(["route"]);
    expect(validatePluginScope("application-registration", { service: { id: "s" } })).toEqual([]);
  });

  it("unknown plugin names are refused; priorities follow Kong", () => {
    expect(validatePluginConfig("rate-limiting", {}).ok).toBe(false);
    expect([pluginPriority("openid-connect"), pluginPriority("application-registration"), pluginPriority("acl")]).toEqual([1050, 995, 950]);
  });

  it("PATCH merges records and replaces arrays", () => {
    expect(mergeConfig({ a: 1, b: [1, 2], r: { x: 1, y: 2 } }, { b: [3], r: { y: 3 } })).toEqual({ a: 1, b: [3], r: { x: 1, y: 3 } });
  });
});

describe("openid-connect: a decK dump of Kong's defaults", () => {
  it("accepts Kong's own default values for fields Gatehouse does not implement", () => {
    // values as `deck dump` prints them for a plugin left at its defaults
    const dump = {
      issuer: "https://idp.example/", anonymous: null, audience: null, audience_claim: ["aud"], auth_methods: ["password", "client_credentials", "authorization_code", "bearer", "introspection", "userinfo", "kong_oauth2", "refresh_token", "session"],
      authorization_cookie_same_site: "Default", authorization_rolling_timeout: 600, bearer_token_param_type: ["header", "query", "body"], cache_ttl: 3600, client_arg: "client_id",
      cluster_cache_redis: { cluster_max_redirections: 5, cluster_nodes: null, connect_timeout: 2000, connection_is_proxied: false, database: 0, host: "127.0.0.1", keepalive_backlog: null, keepalive_pool_size: 256, password: null, port: 6379, read_timeout: 2000, send_timeout: 2000, sentinel_master: null, sentinel_nodes: null, sentinel_password: null, sentinel_role: null, sentinel_username: null, server_name: null, ssl: false, ssl_verify: false, username: null },
      consumer_by: ["username", "custom_id"], credential_claim: ["sub"], dpop_proof_lifetime: 300, http_version: 1.1, ignore_signature: [], introspection_accept: "application/json", introspection_hint: "access_token",
      jwt_session_claim: "sid", login_action: "upstream", login_methods: ["authorization_code"], login_redirect_mode: "fragment", login_tokens: ["id_token"], logout_methods: ["POST", "DELETE"],
      redis: { cluster_max_redirections: null, cluster_nodes: null, connect_timeout: 2000, connection_is_proxied: false, database: 0, host: "127.0.0.1", keepalive_backlog: null, keepalive_pool_size: 256, password: null, port: 6379, prefix: null, read_timeout: 2000, send_timeout: 2000, sentinel_master: null, sentinel_nodes: null, sentinel_password: null, sentinel_role: null, sentinel_username: null, server_name: null, socket: null, ssl: false, ssl_verify: false, username: null },
      rediscovery_lifetime: 30, response_mode: "query", response_type: ["code"], roles_claim: ["roles"], scopes: ["openid"], scopes_claim: ["scope"], session_absolute_timeout: 86400, session_audience: "default",
      session_cookie_name: "session", session_cookie_same_site: "Lax", session_idling_timeout: 900, session_memcached_host: "127.0.0.1", session_memcached_port: 11211, session_remember_absolute_timeout: 2.592e6,
      session_remember_cookie_name: "remember", session_remember_rolling_timeout: 604800, session_rolling_timeout: 3600, session_storage: "cookie", timeout: 10000, tls_client_auth_ssl_verify: true,
      unauthorized_error_message: "Unauthorized", forbidden_error_message: "Forbidden", upstream_access_token_header: "authorization:bearer", userinfo_accept: "application/json", verify_claims: true, verify_nonce: true, verify_signature: true,
    };
    const r = validatePluginConfig("openid-connect", dump);
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
