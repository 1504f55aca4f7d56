/**
 * How the gateway authenticates itself (or the caller's client) to the IdP's
 * token and introspection endpoints: client_secret_basic (RFC 6749 2.3.1),
 * client_secret_post, private_key_jwt (RFC 7523 + OIDC Core 9), or none.
 */
import { importJWK, SignJWT, type JWK } from "jose";
import { randomToken } from "./util";

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "private_key_jwt" | "none";

export interface ClientAuth {
  method: ClientAuthMethod;
  client_id: string;
  client_secret?: string;
  /** private_key_jwt: the client's private JWK and its alg (client_jwk, client_alg). */
  jwk?: JWK;
  alg?: string;
  /** private_key_jwt: the assertion's audience (the issuer identifier). */
  audience?: string;
}

const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");

function defaultAlg(jwk: JWK): string {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === "EC") return jwk.crv === "P-384" ? "ES384" : jwk.crv === "P-521" ? "ES512" : "ES256";
  if (jwk.kty === "OKP") return "EdDSA";
  return "RS256";
}

/** Adds the client authentication to a form body and its headers. */
export async function applyClientAuth(auth: ClientAuth, endpoint: string, body: URLSearchParams, headers: Record<string, string>): Promise<void> {
  switch (auth.method) {
    case "client_secret_basic": {
      const basic = Buffer.from(`${formEncode(auth.client_id)}:${formEncode(auth.client_secret ?? "")}`).toString("base64");
      headers.authorization = `Basic ${basic}`;
      return;
    }
    case "client_secret_post":
      body.set("client_id", auth.client_id);
      body.set("client_secret", auth.client_secret ?? "");
      return;
    case "private_key_jwt": {
      if (!auth.jwk) throw new Error("private_key_jwt needs client_jwk");
      const alg = auth.alg ?? defaultAlg(auth.jwk);
      const key = await importJWK(auth.jwk, alg);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg, ...(auth.jwk.kid ? { kid: auth.jwk.kid } : {}) })
        .setIssuer(auth.client_id)
        .setSubject(auth.client_id)
        .setAudience(auth.audience ?? endpoint)
        .setJti(randomToken(16))
        .setIssuedAt()
        .setExpirationTime("60s")
        .sign(key);
      body.set("client_id", auth.client_id);
      body.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
      body.set("client_assertion", assertion);
      return;
    }
    case "none":
      body.set("client_id", auth.client_id);
      return;
  }
}
