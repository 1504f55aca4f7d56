/**
 * Encryption at rest and the small primitives around secrets.
 *
 * Values encrypted at rest use AES-256-GCM under a key derived from
 * GATEHOUSE_SECRET. The ciphertext names its key (`v1.<kid>.<iv>.<data+tag>`)
 * so the master key can rotate: earlier keys stay usable for decryption through
 * GATEHOUSE_PREVIOUS_SECRETS. The associated data is the row's identity (for
 * example `signing_keys:<kid>`), so a ciphertext copied into another row fails
 * to decrypt.
 */
import crypto from "node:crypto";

const b64u = (buf: Buffer) => buf.toString("base64url");

export class DecryptionError extends Error {
  override name = "DecryptionError";
}

interface Key {
  kid: string;
  key: Buffer;
}

function deriveKey(secret: string): Key {
  const key = Buffer.from(crypto.hkdfSync("sha256", Buffer.from(secret, "utf8"), "gatehouse", "at-rest/v1", 32));
  const kid = b64u(crypto.createHash("sha256").update(key).digest()).slice(0, 10);
  return { kid, key };
}

export class Keyring {
  readonly #current: Key;
  readonly #byKid = new Map<string, Key>();

  /** `secret` encrypts; `previous` keys only decrypt. */
  constructor(secret: string, previous: string[] = []) {
    this.#current = deriveKey(secret);
    for (const k of [this.#current, ...previous.map(deriveKey)]) {
      if (!this.#byKid.has(k.kid)) this.#byKid.set(k.kid, k);
    }
  }

  get currentKid(): string {
    return this.#current.kid;
  }

  encrypt(plaintext: string, aad: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.#current.key, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `v1.${this.#current.kid}.${b64u(iv)}.${b64u(data)}`;
  }

  decrypt(ciphertext: string, aad: string): string {
    const parts = ciphertext.split(".");
    if (parts.length !== 4 || parts[0] !== "v1") throw new DecryptionError("not a Gatehouse ciphertext");
    const key = this.#byKid.get(parts[1]);
    if (!key) {
      throw new DecryptionError(
        `value was encrypted under key id ${parts[1]}, which is not configured: add its master key to GATEHOUSE_PREVIOUS_SECRETS`,
      );
    }
    const iv = Buffer.from(parts[2], "base64url");
    const data = Buffer.from(parts[3], "base64url");
    if (iv.length !== 12 || data.length < 16) throw new DecryptionError("truncated ciphertext");
    try {
      const decipher = crypto.createDecipheriv("aes-256-gcm", key.key, iv);
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString("utf8");
    } catch {
      throw new DecryptionError("ciphertext does not authenticate (wrong key, or it belongs to another row)");
    }
  }

  /** True when the value was encrypted under an earlier master key. */
  needsRewrap(ciphertext: string): boolean {
    return ciphertext.split(".")[1] !== this.#current.kid;
  }

  /** Re-encrypts under the current master key. */
  rewrap(ciphertext: string, aad: string): string {
    return this.encrypt(this.decrypt(ciphertext, aad), aad);
  }
}

/** A random token of `bytes` bytes, base64url (256 bits by default). */
export function randomToken(bytes = 32): string {
  return b64u(crypto.randomBytes(bytes));
}

/** SHA-256 as base64url: how secrets and tokens are stored. */
export function sha256(value: string): string {
  return b64u(crypto.createHash("sha256").update(value, "utf8").digest());
}

/** Constant-time string comparison (lengths may differ; the comparison still takes constant time for equal-length inputs). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ab.length !== bb.length) {
    crypto.timingSafeEqual(ab, ab);
    return false;
  }
  return crypto.timingSafeEqual(ab, bb);
}

/** Compares a presented secret with a stored SHA-256 hash in constant time. */
export function verifyHashed(presented: string, storedHash: string): boolean {
  return safeEqual(sha256(presented), storedHash);
}
