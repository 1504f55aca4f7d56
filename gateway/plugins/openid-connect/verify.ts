/**
 * JWT access-token verification (RFC 7515, RFC 7519, RFC 9068, RFC 8725).
 *
 * - The token's `iss` picks the issuer; only issuers this plugin trusts are
 *   considered, and only that issuer's keys verify the signature.
 * - Algorithms come from the issuer's keys: `none` and every HMAC algorithm are
 *   refused (a public key is never an HMAC secret); the header's alg must be one
 *   the selected key allows.
 * - Headers that name keys from elsewhere (jku, x5u, jwk) are refused; `crit` is
 *   refused (we understand no extensions).
 * - Tokens of the built-in issuer must be access tokens: `typ: at+jwt`.
 *
 * Signature checks are cached by the caller; time-based checks (checkTimeClaims)
 * run on every request.
 */
import { compactVerify } from "jose";
import { invalidToken } from "./errors";
import type { TrustedIssuer } from "./discovery";

export const MAX_TOKEN_LENGTH = 16 * 1024;
const B64U = /^[A-Za-z0-9_-]*$/;

export interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
  typ?: unknown;
  [k: string]: unknown;
}

export interface VerifiedJwt {
  header: JwtHeader;
  claims: Record<string, unknown>;
  issuer: string;
}

export interface JwtVerifyOptions {
  /** Issuers this plugin trusts (its issuer, issuers_allowed, the built-in issuer if named). */
  issuers: TrustedIssuer[];
  /** The built-in issuer's identifier: its tokens must be typ at+jwt. */
  builtinIssuer?: string;
  /** "id_token": an id_token (authorization code flow), exempt from the at+jwt rule. Default "access_token". */
  kind?: "access_token" | "id_token";
}

function decodePart(part: string, what: string): Record<string, unknown> {
  if (!B64U.test(part) || part.length % 4 === 1) throw invalidToken(`the JWT ${what} is not base64url (RFC 7515 section 2)`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    throw invalidToken(`the JWT ${what} is not JSON`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw invalidToken(`the JWT ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Cheap structural test used to tell JWTs from opaque tokens. */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/** Splits and decodes without verifying (errors are 401 invalid_token). */
export function decodeJwt(token: string): { header: JwtHeader; claims: Record<string, unknown> } {
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken(`the token is longer than ${MAX_TOKEN_LENGTH} characters`);
  const parts = token.split(".");
  if (parts.length === 5) throw invalidToken("the token is a JWE (encrypted JWT); only signed JWTs are accepted");
  if (parts.length !== 3) throw invalidToken("the token is not a JWT: it must have three dot-separated parts (RFC 7519 section 7.2)");
  const header = decodePart(parts[0], "header");
  const claims = decodePart(parts[1], "payload");
  if (!B64U.test(parts[2]) || parts[2].length === 0) throw invalidToken("the JWT signature is missing or not base64url");
  return { header, claims };
}

export async function verifyJwt(token: string, opts: JwtVerifyOptions): Promise<VerifiedJwt> {
  const { header, claims } = decodeJwt(token);
  const alg = header.alg;
  if (typeof alg !== "string" || alg === "") throw invalidToken("the JWT header has no alg");
  if (alg.toLowerCase() === "none") throw invalidToken('alg "none" is not accepted: tokens must be signed (RFC 8725 section 3.1)');
  if (/^HS/i.test(alg)) throw invalidToken(`alg ${alg} is not accepted: only the issuer's asymmetric keys verify tokens (RFC 8725 section 3.1)`);
  for (const h of ["jku", "x5u", "jwk"]) {
    if (h in header) throw invalidToken(`the JWT header carries "${h}": keys come only from the issuer's own JWKS`);
  }
  if ("crit" in header) throw invalidToken('the JWT header has "crit" extensions this gateway does not understand (RFC 7515 section 4.1.11)');
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== "string") throw invalidToken("the JWT header kid is not a string");

  const iss = claims.iss;
  if (typeof iss !== "string" || iss === "") throw invalidToken("the token has no iss claim");
  let trusted: TrustedIssuer | undefined;
  for (const t of opts.issuers) {
    if (await t.matches(iss)) {
      trusted = t;
      break;
    }
  }
  if (!trusted) throw invalidToken(`the token's issuer ${JSON.stringify(iss).slice(0, 200)} is not trusted by this route`);

  if (opts.builtinIssuer !== undefined && iss === opts.builtinIssuer && opts.kind !== "id_token") {
    const typ = typeof header.typ === "string" ? header.typ.toLowerCase() : "";
    if (typ !== "at+jwt" && typ !== "application/at+jwt") {
      throw invalidToken("the token is not an access token: tokens of the built-in issuer must have typ at+jwt (RFC 9068 section 2.1); an id_token is not accepted");
    }
  }

  const keys = await trusted.keysFor(kid, alg);
  if (keys.length === 0) {
    const why = trusted.unavailableReason;
    if (why) throw invalidToken(`the keys of issuer ${iss} could not be loaded (${why})`);
    throw invalidToken(
      kid === undefined
        ? `no key of issuer ${iss} verifies alg ${alg}`
        : `no key of issuer ${iss} has kid ${JSON.stringify(kid).slice(0, 100)} for alg ${alg}`,
    );
  }
  // After discovery the exact identifier is known: iss must equal it.
  if (trusted.issuer !== iss) throw invalidToken(`the token's issuer ${iss} is not trusted by this route`);

  for (const k of keys) {
    try {
      await compactVerify(token, await k.keyFor(alg), { algorithms: [alg] });
      return { header, claims, issuer: iss };
    } catch {
      // try the next key with this kid (rare), else fail below
    }
  }
  throw invalidToken(`the token's signature does not verify with the keys of issuer ${iss}`);
}

export interface TimeCheckOptions {
  leeway: number;
  nowSeconds: number;
}

/** exp (required) and nbf, with leeway. Runs on every request, cached or not. */
export function checkTimeClaims(claims: Record<string, unknown>, o: TimeCheckOptions): void {
  const exp = claims.exp;
  if (exp === undefined) throw invalidToken("the token has no exp claim; tokens without an expiry are not accepted");
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw invalidToken("the token's exp claim is not a number (RFC 7519 section 4.1.4)");
  if (o.nowSeconds - o.leeway >= exp) throw invalidToken(`the token expired at ${new Date(exp * 1000).toISOString()}; get a new one`);
  const nbf = claims.nbf;
  if (nbf !== undefined) {
    if (typeof nbf !== "number" || !Number.isFinite(nbf)) throw invalidToken("the token's nbf claim is not a number (RFC 7519 section 4.1.5)");
    if (o.nowSeconds + o.leeway < nbf) throw invalidToken(`the token is not valid before ${new Date(nbf * 1000).toISOString()}`);
  }
  const iat = claims.iat;
  if (iat !== undefined && (typeof iat !== "number" || !Number.isFinite(iat))) throw invalidToken("the token's iat claim is not a number");
}

