import { describe, expect, it } from "vitest";
import { DecryptionError, Keyring, randomToken, safeEqual, sha256, verifyHashed } from "../../app/.server/crypto";
import { hashPassword, verifyPassword } from "../../app/.server/passwords";

const OLD = "old-master-key-old-master-key-0123456789";
const NEW = "new-master-key-new-master-key-9876543210";

describe("encryption at rest", () => {
  it("round-trips and names its key in the ciphertext", () => {
    const k = new Keyring(NEW);
    const ct = k.encrypt("private jwk", "signing_keys:k1");
    expect(ct.startsWith(`v1.${k.currentKid}.`)).toBe(true);
    expect(ct).not.toContain("private jwk");
    expect(k.decrypt(ct, "signing_keys:k1")).toBe("private jwk");
    // a fresh IV every time
    expect(k.encrypt("private jwk", "signing_keys:k1")).not.toBe(ct);
  });

  it("binds the ciphertext to its row: another row's identity fails", () => {
    const k = new Keyring(NEW);
    const ct = k.encrypt("token", "idp_connections:a");
    expect(() => k.decrypt(ct, "idp_connections:b")).toThrow(DecryptionError);
  });

  it("detects tampering", () => {
    const k = new Keyring(NEW);
    const ct = k.encrypt("token", "row");
    const parts = ct.split(".");
    const data = Buffer.from(parts[3], "base64url");
    data[0] ^= 1;
    parts[3] = data.toString("base64url");
    expect(() => k.decrypt(parts.join("."), "row")).toThrow(DecryptionError);
    expect(() => k.decrypt("garbage", "row")).toThrow(DecryptionError);
  });

  it("decrypts after a master-key rotation and rewraps under the new key", () => {
    const before = new Keyring(OLD);
    const ct = before.encrypt("dcr registration token", "applications:42");
    const after = new Keyring(NEW, [OLD]);
    expect(after.currentKid).not.toBe(before.currentKid);
    expect(after.decrypt(ct, "applications:42")).toBe("dcr registration token");
    expect(after.needsRewrap(ct)).toBe(true);
    const rewrapped = after.rewrap(ct, "applications:42");
    expect(after.needsRewrap(rewrapped)).toBe(false);
    // once rewrapped, the old key is no longer needed
    expect(new Keyring(NEW).decrypt(rewrapped, "applications:42")).toBe("dcr registration token");
  });

  it("says which key is missing when the old master key is not configured", () => {
    const ct = new Keyring(OLD).encrypt("x", "row");
    expect(() => new Keyring(NEW).decrypt(ct, "row")).toThrow(/GATEHOUSE_PREVIOUS_SECRETS/);
  });
});

describe("secrets and passwords", () => {
  it("tokens carry 256 bits and are stored as SHA-256", () => {
    const t = randomToken();
    expect(Buffer.from(t, "base64url").length).toBe(32);
    expect(verifyHashed(t, sha256(t))).toBe(true);
    expect(verifyHashed(t + "x", sha256(t))).toBe(false);
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(safeEqual("abc", "abcd")).toBe(false);
  });

  it("hashes passwords with scrypt and verifies them", async () => {
    const h = await hashPassword("correct horse battery staple");
    expect(h.startsWith("scrypt$32768$8$1$")).toBe(true);
    expect(await verifyPassword("correct horse battery staple", h)).toBe(true);
    expect(await verifyPassword("wrong", h)).toBe(false);
    expect(await verifyPassword("x", "not-a-hash")).toBe(false);
  });
});
