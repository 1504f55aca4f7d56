/**
 * The seed configurations (and the other shapes the openid-connect e2e tests
 * use) pass the Admin API's validation: every field they set is implemented.
 */
import { describe, expect, it } from "vitest";
import { validatePluginConfig } from "../../gateway/contract/plugins";

const issuer = "https://idp.example.com/realms/acme";

const SEEDS: Record<string, Record<string, unknown>> = {
  "client credentials, iss as Issuer_Header": {
    issuer,
    client_id: ["kong"],
    client_secret: ["secret"],
    auth_methods: ["client_credentials"],
    upstream_headers_claims: ["iss"],
    upstream_headers_names: ["Issuer_Header"],
  },
  "client credentials in a header, client_secret_post": {
    issuer,
    client_id: ["kong"],
    client_secret: ["secret"],
    auth_methods: ["client_credentials"],
    client_credentials_param_type: ["header"],
    client_auth: ["client_secret_post"],
  },
  "authorization code with scp and custom_id": {
    issuer,
    client_id: ["web"],
    client_secret: ["secret"],
    auth_methods: ["authorization_code", "session", "refresh_token"],
    redirect_uri: ["https://gateway.example.com/app/callback"],
    scopes: ["openid", "offline_access", "read"],
    scopes_claim: ["scp"],
    scopes_required: ["read"],
    consumer_claim: ["sub"],
    consumer_by: ["custom_id"],
    session_secret: "a-long-session-secret-a-long-session-secret",
    session_absolute_timeout: 3600,
    session_idling_timeout: 600,
    session_rolling_timeout: 1200,
    logout_uri_suffix: "/logout",
    logout_methods: ["POST"],
    logout_redirect_uri: ["https://gateway.example.com/bye"],
    upstream_id_token_header: "x-id-token",
  },
  "bearer with everything around it": {
    issuer,
    issuers_allowed: ["https://other.example.com"],
    extra_jwks_uris: ["https://keys.example.com/jwks.json"],
    auth_methods: ["bearer", "introspection"],
    audience_required: ["https://api.example.com"],
    groups_required: ["ops admins", "root"],
    groups_claim: ["realm_access", "roles"],
    authenticated_groups_claim: ["groups"],
    consumer_claim: ["client_id"],
    consumer_by: ["id", "username", "custom_id"],
    consumer_optional: true,
    credential_claim: ["client_id"],
    anonymous: "anonymous",
    hide_credentials: true,
    leeway: 30,
    cache_ttl: 600,
    cache_introspection: true,
    cache_tokens: true,
    introspection_endpoint: "https://idp.example.com/introspect",
    client_id: ["gw"],
    client_secret: ["secret"],
    client_auth: ["private_key_jwt"],
    client_jwk: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "d" }],
    client_alg: ["ES256"],
    bearer_token_param_type: ["header", "cookie"],
    bearer_token_cookie_name: "at",
    rediscovery_lifetime: 60,
    timeout: 5000,
  },
};

describe("openid-connect seed configurations", () => {
  for (const [name, config] of Object.entries(SEEDS)) {
    it(`validates: ${name}`, () => {
      const r = validatePluginConfig("openid-connect", config);
      expect(r.ok ? [] : r.errors).toEqual([]);
    });
  }

  it("still refuses fields the handler does not implement, naming them", () => {
    const r = validatePluginConfig("openid-connect", { issuer, introspect_jwt_tokens: true, userinfo_endpoint: "https://idp.example.com/userinfo" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message).sort()).toEqual(["not supported: introspect_jwt_tokens", "not supported: userinfo_endpoint"]);
  });
});
