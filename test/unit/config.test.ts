import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseListen, resolvePublicUrl } from "../../lib/config";

describe("configuration from the environment", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({});
    expect(c.env).toBe("development");
    expect(c.listen.portal).toEqual({ host: "0.0.0.0", port: 3000 });
    expect(c.listen.admin).toEqual({ host: "127.0.0.1", port: 8001 });
    expect(c.listen.cluster).toEqual({ host: "127.0.0.1", port: 8005 });
    expect(c.listen.proxy).toEqual({ host: "0.0.0.0", port: 8000 });
    expect(c.listen.status).toEqual({ host: "127.0.0.1", port: 8100 });
    expect(resolvePublicUrl(c, 3000)).toBe("http://localhost:3000");
    expect(c.issuer.accessTokenTtl).toBe(900);
    expect(c.issuer.signingAlg).toBe("ES256");
    expect(c.databaseUrl).toBeUndefined();
  });

  it.each([
    [{ PORTAL_LISTEN: "3000" }, /^PORTAL_LISTEN: expected host:port/],
    [{ ADMIN_LISTEN: "127.0.0.1:99999" }, /^ADMIN_LISTEN: /],
    [{ PUBLIC_URL: "localhost:3000" }, /^PUBLIC_URL: expected an (absolute )?http/],
    [{ PUBLIC_URL: "http://x.test/?a=1" }, /^PUBLIC_URL: must not carry a query/],
    [{ GATEHOUSE_ENV: "prod" }, /^GATEHOUSE_ENV: expected one of development, production/],
    [{ GATEHOUSE_SECRET: "short" }, /^GATEHOUSE_SECRET: expected at least 32 characters/],
    [{ DATABASE_URL: "mysql://x" }, /^DATABASE_URL: expected postgres:\/\//],
    [{ ACCESS_TOKEN_TTL: "abc" }, /^ACCESS_TOKEN_TTL: expected a whole number/],
    [{ ISSUER_SIGNING_ALG: "HS256" }, /^ISSUER_SIGNING_ALG: expected one of ES256, RS256/],
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL: /],
  ])("refuses %j with one line naming the variable", (env, message) => {
    let err: unknown;
    try {
      loadConfig(env as Record<string, string>);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("\n");
  });

  it("makes a missing secret, admin token or an http PUBLIC_URL fatal in production", () => {
    const secret = "x".repeat(32);
    expect(() => loadConfig({ GATEHOUSE_ENV: "production" })).toThrow(/GATEHOUSE_SECRET: required/);
    expect(() => loadConfig({ GATEHOUSE_ENV: "production", GATEHOUSE_SECRET: secret })).toThrow(/ADMIN_TOKEN: required/);
    expect(() =>
      loadConfig({ GATEHOUSE_ENV: "production", GATEHOUSE_SECRET: secret, ADMIN_TOKEN: "t".repeat(20), PUBLIC_URL: "http://portal.example" }),
    ).toThrow(/PUBLIC_URL: must be https/);
    const c = loadConfig({ GATEHOUSE_ENV: "production", GATEHOUSE_SECRET: secret, ADMIN_TOKEN: "t".repeat(20), PUBLIC_URL: "https://portal.example/" });
    expect(c.publicUrl).toBe("https://portal.example");
  });

  it("parses IPv6 listen addresses", () => {
    expect(parseListen("X", "[::1]:8001")).toEqual({ host: "::1", port: 8001 });
  });
});

describe("data plane configuration", () => {
  it("does not apply the control plane's production checks to a data plane", () => {
    const env = { GATEHOUSE_ENV: "production", CLUSTER_TOKEN: "c".repeat(24), PUBLIC_URL: "http://portal.internal" };
    expect(() => loadConfig(env)).toThrow(/required when GATEHOUSE_ENV=production|must be https/);
    const c = loadConfig(env, { role: "data-plane" });
    expect(c.env).toBe("production");
    expect(c.clusterToken).toBe("c".repeat(24));
  });
});
