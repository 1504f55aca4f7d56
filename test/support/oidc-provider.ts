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
import { exportJWK, generateKeyPair } from "jose";

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
  extraTokenClaims?: (clientId: string, accountId: string | undefined) => Record<string, unknown>;
  accessTokenTtl?: number;
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
    extraTokenClaims: async (_ctx: any, token: any) => extra(token.clientId, token.accountId),
    async findAccount(_ctx: unknown, id: string) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: `${id}@example.com`, email_verified: true, name: id, ...(opts.accountClaims?.(id) ?? {}) };
        },
      };
    },
  });
  // Silence its "you SHOULD change" notices and unhandled server_error logging in tests.
  provider.on("server_error", () => {});
  handler = provider.callback();

  return {
    issuer,
    port,
    provider,
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
