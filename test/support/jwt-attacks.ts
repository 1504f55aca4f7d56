/**
 * A corpus of forged, broken and out-of-policy JWTs against one IdP, for the
 * openid-connect plugin: every case must be refused with 401 (never accepted,
 * never a 5xx). Shared by the module-level integration test and the end-to-end
 * test through the gateway.
 *
 * `idp.sign` stands for tokens the IdP itself signed with unacceptable claims
 * (expired, another iss...); attacker tokens use a key pair of their own.
 */
import { createHmac, createPublicKey } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { TestIdp } from "./oidc-provider";

export interface AttackCase {
  name: string;
  token: string;
  /** Only refused when the plugin sets audience_required (the e2e route does). */
  needsAudienceRequired?: boolean;
}

const b64u = (v: string | Buffer) => Buffer.from(v).toString("base64url");
const json = (o: unknown) => b64u(JSON.stringify(o));

/** A valid-looking claim set for this IdP. */
export function goodClaims(idp: TestIdp, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: idp.issuer, sub: "attacker", aud: "https://api.gatehouse.test", iat: now, exp: now + 600, scope: "read", client_id: "svc", ...extra };
}

export async function buildAttackCorpus(idp: TestIdp, valid: string): Promise<AttackCase[]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = goodClaims(idp);
  const [vh, vp, vs] = valid.split(".");
  const attacker = await generateKeyPair("ES256", { extractable: true });
  const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: "attacker-1", alg: "ES256" };
  const signAttacker = (header: Record<string, unknown>, payload = claims) =>
    new SignJWT(payload).setProtectedHeader({ alg: "ES256", typ: "at+jwt", ...header }).sign(attacker.privateKey);
  const hmac = (alg: "HS256" | "HS384" | "HS512", secret: string | Buffer, header: Record<string, unknown> = {}) => {
    const input = `${json({ alg, typ: "at+jwt", kid: "es-1", ...header })}.${json(claims)}`;
    const h = createHmac(alg.replace("HS", "sha"), secret).update(input).digest();
    return `${input}.${b64u(h)}`;
  };
  const esPub = idp.publicJwks.keys.find((k) => k.kid === "es-1")!;
  const rsPub = idp.publicJwks.keys.find((k) => k.kid === "rs-1")!;
  const rsPem = createPublicKey({ key: rsPub as never, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
  const payloadTampered = `${vh}.${json({ ...JSON.parse(Buffer.from(vp, "base64url").toString()), sub: "admin", scope: "read write admin" })}.${vs}`;
  const sigFlipped = `${vh}.${vp}.${vs.slice(0, -4)}${vs.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;

  const cases: AttackCase[] = [
    { name: "alg none, no signature", token: `${json({ alg: "none", typ: "at+jwt" })}.${json(claims)}.` },
    { name: "alg None (mixed case)", token: `${json({ alg: "None", typ: "at+jwt" })}.${json(claims)}.` },
    { name: "alg none keeping a real signature", token: `${json({ alg: "none", kid: "es-1" })}.${vp}.${vs}` },
    { name: "HS256 signed with the IdP's public JWK as secret", token: hmac("HS256", JSON.stringify(esPub)) },
    { name: "HS256 signed with the IdP's RSA public key PEM", token: hmac("HS256", rsPem, { kid: "rs-1" }) },
    { name: "HS512 signed with the RSA modulus", token: hmac("HS512", Buffer.from(String(rsPub.n), "base64url"), { kid: "rs-1" }) },
    { name: "attacker key claiming the IdP's kid", token: await signAttacker({ kid: "es-1" }) },
    { name: "unknown kid", token: await signAttacker({ kid: "attacker-1" }) },
    { name: "no kid, attacker key", token: await signAttacker({}) },
    { name: "jku header to an attacker JWKS", token: await signAttacker({ kid: "attacker-1", jku: "http://127.0.0.1:9/jwks.json" }) },
    { name: "x5u header", token: await signAttacker({ kid: "attacker-1", x5u: "http://127.0.0.1:9/cert.pem" }) },
    { name: "embedded jwk header (attacker's own key)", token: await signAttacker({ jwk: attackerJwk }) },
    { name: "crit header with an unknown extension", token: await idp.sign(claims, { crit: ["exp-ext"], "exp-ext": true } as never) },
    { name: "expired (signed by the IdP)", token: await idp.sign({ ...claims, iat: now - 7200, exp: now - 3600 }) },
    { name: "not yet valid: nbf in an hour", token: await idp.sign({ ...claims, nbf: now + 3600 }) },
    { name: "wrong iss (signed by the IdP)", token: await idp.sign({ ...claims, iss: "https://evil.example" }) },
    { name: "iss with a trailing slash", token: await idp.sign({ ...claims, iss: `${idp.issuer}/` }) },
    { name: "missing iss", token: await idp.sign({ ...claims, iss: undefined }) },
    { name: "missing exp", token: await idp.sign({ ...claims, exp: undefined }) },
    { name: "exp as a string", token: await idp.sign({ ...claims, exp: String(now + 600) }) },
    { name: "wrong aud", token: await idp.sign({ ...claims, aud: "https://other-api.example" }), needsAudienceRequired: true },
    { name: "missing aud", token: await idp.sign({ ...claims, aud: undefined }), needsAudienceRequired: true },
    { name: "payload tampered after signing", token: payloadTampered },
    { name: "signature bytes flipped", token: sigFlipped },
    { name: "empty signature", token: `${vh}.${vp}.` },
    { name: "two parts only", token: `${vh}.${vp}` },
    { name: "bad base64 in the header", token: `eyJ!!!.${vp}.${vs}` },
    { name: "bad base64 in the payload", token: `${vh}.%%%%.${vs}` },
    { name: "header is not JSON", token: `${b64u("not json")}.${vp}.${vs}` },
    { name: "payload is a JSON array", token: `${vh}.${json([1, 2])}.${vs}` },
    { name: "alg RS256 on the ES256 key's kid", token: `${json({ alg: "RS256", kid: "es-1", typ: "at+jwt" })}.${vp}.${vs}` },
    { name: "ES256 signature presented as PS256", token: `${json({ alg: "PS256", kid: "rs-1", typ: "at+jwt" })}.${vp}.${vs}` },
    { name: "JWE-shaped (five parts)", token: `${json({ alg: "dir", enc: "A256GCM" })}..${b64u("iv")}.${b64u("ct")}.${b64u("tag")}` },
    { name: "a 1 MB token", token: `${vh}.${"A".repeat(1000 * 1000)}.${vs}` },
    { name: "random garbage", token: "this-is-not-a-token" },
  ];
  return cases;
}
