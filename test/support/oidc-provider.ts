/**
 * An external IdP for tests: `oidc-provider` (a certified OpenID Provider) on a
 * loopback port, not a stub. It can be stopped and started again on the same
 * port to simulate an IdP outage.
 *
 * Defaults: client_credentials, authorization_code + PKCE (its dev login page
 * accepts any login), refresh tokens, introspection, revocation, dynamic
 * registration (RFC 7591) with a static initial access token and management
 * (RFC 7592), JWT access tokens (ES256) through resource indicators, and the
 * custom claim `application_id` = client_id in access tokens (as Okta admins add it).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KeyObject, sign as signBytes } from "node:crypto";
import { exportJWK, generateKeyPair, type JWTHeaderParameters } from "jose";

export interface TestIdpOptions {
  clients?: Record<string, unknown>[];
  /** Access-token format for resource-indicator tokens: jwt (default) or opaque (introspection). */
  accessTokenFormat?: "jwt" | "opaque";
  /** The default resource (audience) of access tokens. */
  audience?: string;
  scopes?: string[];
  /** Static initial access token for dynamic registration (default "test-initial-access-token"). */
  initialAccessToken?: string | false;
  /** Extra access-token claims (default: application_id = client_id). */
  extraTokenClaims?: (clientId: string, accountId: string | undefined, scope: string | undefined) => Record<string, unknown>;
  accessTokenTtl?: number;
  /** Enables the resource owner password grant (RFC 6749 4.3) for these username -> password pairs (clients must list grant type "password"); with offline_access and a client allowed refresh_token, it also issues a refresh token. */
  passwords?: Record<string, string>;
  /** Claims of the dev-login accounts (beyond sub). */
  accountClaims?: (accountId: string) => Record<string, unknown>;
}

export interface TestIdp {
  issuer: string;
  port: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  provider: any;
  /** Stops listening (connections dropped); the IdP looks down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
  /** The IdP's public signing keys (what its jwks_uri serves). */
  publicJwks: { keys: Record<string, unknown>[] };
  /** Signs arbitrary claims with the IdP's own key (es-1 ES256 by default, rs-1 with alg RS256): for tokens an attacker could not make but a test needs (expired, wrong iss...). */
  sign(payload: Record<string, unknown>, header?: Partial<JWTHeaderParameters>): Promise<string>;
}

export async function startTestIdp(opts: TestIdpOptions = {}): Promise<TestIdp> {
  // oidc-provider 9 is ESM-only
  const { default: Provider } = await import("oidc-provider");
  let handler: http.RequestListener = (_req, res) => res.end();
  const sockets = new Set<import("node:net").Socket>();
  let server = http.createServer((req, res) => handler(req, res));
  const track = (s: http.Server) => s.on("connection", (c) => (sockets.add(c), c.on("close", () => sockets.delete(c))));
  track(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const es = await generateKeyPair("ES256", { extractable: true });
  const rs = await generateKeyPair("RS256", { extractable: true });
  const keys = [
    { ...(await exportJWK(es.privateKey)), kid: "es-1", alg: "ES256", use: "sig" },
    { ...(await exportJWK(rs.privateKey)), kid: "rs-1", alg: "RS256", use: "sig" },
  ];
  const audience = opts.audience ?? "https://api.gatehouse.test";
  const scopes = opts.scopes ?? ["openid", "offline_access", "profile", "email", "read", "write"];
  const extra = opts.extraTokenClaims ?? ((clientId: string) => ({ application_id: clientId }));

  const provider = new Provider(issuer, {
    clients: opts.clients ?? [],
    jwks: { keys },
    scopes,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    pkce: { required: () => true },
    clientDefaults: { grant_types: ["authorization_code", "refresh_token"], id_token_signed_response_alg: "ES256" },
    enabledJWA: { clientAuthSigningAlgValues: ["ES256", "RS256", "HS256"] },
    ttl: {
      AccessToken: opts.accessTokenTtl ?? 300,
      ClientCredentials: opts.accessTokenTtl ?? 300,
      AuthorizationCode: 60,
      IdToken: 300,
      RefreshToken: 3600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      registration: {
        enabled: opts.initialAccessToken !== false,
        initialAccessToken: opts.initialAccessToken === false ? false : (opts.initialAccessToken ?? "test-initial-access-token"),
      },
      registrationManagement: { enabled: opts.initialAccessToken !== false, rotateRegistrationAccessToken: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: scopes.filter((s) => !["openid", "offline_access"].includes(s)).join(" "),
          audience,
          accessTokenFormat: opts.accessTokenFormat ?? "jwt",
          accessTokenTTL: opts.accessTokenTtl ?? 300,
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    extraTokenClaims: async (_ctx: any, token: any) => extra(token.clientId, token.accountId, token.scope),
    async findAccount(_ctx: unknown, id: string) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: `${id}@example.com`, email_verified: true, name: id, ...(opts.accountClaims?.(id) ?? {}) };
        },
      };
    },
  });
  if (opts.passwords) {
    // oidc-provider has no password grant (OAuth 2.1 drops it); this one issues the same access tokens its other grants do.
    const users = opts.passwords;
    const rsScopes = scopes.filter((s) => !["openid", "offline_access"].includes(s));
    provider.registerGrantType(
      "password",
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      async (ctx: any) => {
        const { username, password, scope } = ctx.oidc.params as Record<string, string | undefined>;
        if (!username || !Object.hasOwn(users, username) || users[username] !== password) {
          ctx.status = 400;
          ctx.body = { error: "invalid_grant", error_description: "wrong username or password" };
          return;
        }
        const granted = (scope ?? "").split(" ").filter((s) => rsScopes.includes(s)).join(" ");
        const oidcScopes = (scope ?? "").split(" ").filter((s) => s === "openid" || s === "offline_access");
        const grant = new provider.Grant({ accountId: username, clientId: ctx.oidc.client.clientId });
        if (granted) grant.addResourceScope(audience, granted);
        if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(" "));
        const grantId = await grant.save();
        let refresh_token: string | undefined;
        if (oidcScopes.includes("offline_access") && ctx.oidc.client.grantTypeAllowed("refresh_token")) {
          const rt = new provider.RefreshToken({ accountId: username, client: ctx.oidc.client, grantId, gty: "password", scope: [...oidcScopes, ...granted.split(" ").filter(Boolean)].join(" "), resource: audience });
          refresh_token = await rt.save();
        }
        const at = new provider.AccessToken({ accountId: username, client: ctx.oidc.client, grantId, gty: "password", scope: granted || undefined });
        const ttl = opts.accessTokenTtl ?? 300;
        at.resourceServer = { identifier: () => audience, audience, scope: rsScopes.join(" "), accessTokenFormat: opts.accessTokenFormat ?? "jwt", accessTokenTTL: ttl, jwt: { sign: { alg: "ES256" } } };
        const value = await at.save();
        ctx.body = { access_token: value, token_type: "Bearer", expires_in: ttl, scope: granted || undefined, refresh_token };
      },
      ["username", "password", "scope"],
    );
  }
  // Silence its "you SHOULD change" notices and unhandled server_error logging in tests.
  provider.on("server_error", () => {});
  handler = provider.callback();

  const publicJwks = {
    keys: [
      { ...(await exportJWK(es.publicKey)), kid: "es-1", alg: "ES256", use: "sig" },
      { ...(await exportJWK(rs.publicKey)), kid: "rs-1", alg: "RS256", use: "sig" },
    ],
  };

  return {
    issuer,
    port,
    provider,
    publicJwks,
    async sign(payload, header = {}) {
      // by hand, so that tests can also make headers jose would refuse to produce (crit...)
      const alg = header.alg ?? "ES256";
      const h = { kid: alg === "RS256" ? "rs-1" : "es-1", typ: "at+jwt", ...header, alg };
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const input = `${b64(h)}.${b64(payload)}`;
      const key = KeyObject.from(alg === "RS256" ? rs.privateKey : es.privateKey);
      const sig = signBytes("sha256", Buffer.from(input), alg === "RS256" ? key : { key, dsaEncoding: "ieee-p1363" });
      return `${input}.${sig.toString("base64url")}`;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async start() {
      server = http.createServer((req, res) => handler(req, res));
      track(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve());
      });
    },
    async close() {
      if (!server.listening) return;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
