/**
 * Dynamic client registration (RFC 7591) with an initial access token through
 * openid-client, and management (RFC 7592) with the registration_access_token:
 * read, update, rotate secret, delete.
 */
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbTargets } from "../support/db";
import { startIssuer, type IssuerHarness } from "../support/issuer";

describe.each(dbTargets())("dynamic client registration on $name", (target) => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startIssuer({ target });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const call = (url: string, method: string, token: string | undefined, body?: unknown) =>
    fetch(url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });

  it("registers with openid-client, then reads, updates, rotates and deletes the client", async () => {
    const iat = await h.cp.issuer.registration.createInitialAccessToken({ expiresIn: 3600, uses: 1 });
    const row = await h.cp.db.selectFrom("initial_access_tokens").selectAll().executeTakeFirstOrThrow();
    expect(row.token_hash).not.toBe(iat);

    const config = await client.dynamicClientRegistration(
      new URL(h.issuer),
      { client_name: "cli tool", grant_types: ["client_credentials"], scope: "reports:read", token_endpoint_auth_method: "client_secret_basic" },
      undefined,
      { initialAccessToken: iat, execute: [client.allowInsecureRequests] },
    );
    const md = config.clientMetadata();
    expect(md.client_id).toBeTruthy();
    expect(md.client_secret).toBeTruthy();
    expect(md.client_secret_expires_at).toBe(0);
    const rat = md.registration_access_token as string;
    const uri = md.registration_client_uri as string;
    expect(uri).toBe(`${h.issuer}/register/${md.client_id}`);

    // the registered client works at the token endpoint
    const t = await client.clientCredentialsGrant(config);
    expect(t.access_token.split(".")).toHaveLength(3);

    // the initial access token had one use
    const second = await call(`${h.issuer}/register`, "POST", iat, { client_name: "again" });
    expect(second.status).toBe(401);
    expect(((await second.json()) as { error: string }).error).toBe("invalid_token");

    // read
    const read = await call(uri, "GET", rat);
    expect(read.status).toBe(200);
    const readBody = (await read.json()) as Record<string, unknown>;
    expect(readBody).toMatchObject({ client_id: md.client_id, client_name: "cli tool", scope: "reports:read" });
    expect(readBody.client_secret).toBeUndefined();
    expect((await call(uri, "GET", "wrong-token")).status).toBe(401);

    // update: full replacement, a new registration access token
    const upd = await call(uri, "PUT", rat, { client_id: md.client_id, client_name: "cli tool v2", grant_types: ["client_credentials"], scope: "reports:read reports:write" });
    expect(upd.status).toBe(200);
    const updBody = (await upd.json()) as Record<string, unknown>;
    expect(updBody).toMatchObject({ client_name: "cli tool v2", scope: "reports:read reports:write" });
    const rat2 = updBody.registration_access_token as string;
    expect(rat2).not.toBe(rat);
    expect((await call(uri, "GET", rat)).status).toBe(401);
    const badUpd = await call(uri, "PUT", rat2, { client_id: md.client_id, redirect_uris: ["not a uri"], grant_types: ["authorization_code"] });
    expect(badUpd.status).toBe(400);
    expect(((await badUpd.json()) as { error: string }).error).toBe("invalid_redirect_uri");

    // rotate secret: the new one works, the old one (no grace) does not
    const rot = await call(`${uri}/secret`, "POST", rat2);
    expect(rot.status).toBe(200);
    const { client_secret } = (await rot.json()) as { client_secret: string };
    const basic = (s: string) => "Basic " + Buffer.from(`${md.client_id}:${s}`).toString("base64");
    const token = (s: string) =>
      fetch(`${h.issuer}/token`, { method: "POST", headers: { authorization: basic(s), "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials" });
    expect((await token(client_secret)).status).toBe(200);
    expect((await token(md.client_secret as string)).status).toBe(401);

    // delete
    expect((await call(uri, "DELETE", rat2)).status).toBe(204);
    expect((await call(uri, "GET", rat2)).status).toBe(401);
    expect((await token(client_secret)).status).toBe(401);
  });

  it("refuses registration without a valid initial access token and bad metadata with RFC 7591 errors", async () => {
    const none = await call(`${h.issuer}/register`, "POST", undefined, { client_name: "x" });
    expect(none.status).toBe(401);
    const expiredIat = await h.cp.issuer.registration.createInitialAccessToken({ expiresIn: 1 });
    await h.cp.db.updateTable("initial_access_tokens").set({ expires_at: new Date(Date.now() - 1000) }).execute();
    expect((await call(`${h.issuer}/register`, "POST", expiredIat, { client_name: "x" })).status).toBe(401);

    const iat = await h.cp.issuer.registration.createInitialAccessToken();
    const cases: [unknown, number, string][] = [
      [{ redirect_uris: ["https://app.example/cb#frag"] }, 400, "invalid_redirect_uri"],
      [{ grant_types: ["implicit"] }, 400, "invalid_client_metadata"],
      [{ token_endpoint_auth_method: "none", grant_types: ["client_credentials"] }, 400, "invalid_client_metadata"],
      [{ token_endpoint_auth_method: "private_key_jwt", grant_types: ["client_credentials"] }, 400, "invalid_client_metadata"],
      [{ redirect_uris: "https://app.example/cb" }, 400, "invalid_client_metadata"],
      ["{not json", 400, "invalid_client_metadata"],
      [[1, 2], 400, "invalid_client_metadata"],
      [{ client_name: "x".repeat(70_000) }, 413, "invalid_client_metadata"],
    ];
    for (const [body, status, error] of cases) {
      const r = await call(`${h.issuer}/register`, "POST", iat, body);
      expect({ body: String(JSON.stringify(body)).slice(0, 60), status: r.status, error: ((await r.json()) as { error: string }).error }).toEqual({
        body: String(JSON.stringify(body)).slice(0, 60),
        status,
        error,
      });
    }
    // a public client with PKCE is fine
    const pub = await call(`${h.issuer}/register`, "POST", iat, { redirect_uris: ["http://127.0.0.1:8765/cb"], token_endpoint_auth_method: "none" });
    expect(pub.status).toBe(201);
    const pubBody = (await pub.json()) as Record<string, unknown>;
    expect(pubBody.client_secret).toBeUndefined();
    expect(pubBody.grant_types).toEqual(["authorization_code"]);
  });
});
