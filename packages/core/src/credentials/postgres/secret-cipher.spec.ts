import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretCipher, parseEncryptionKey } from "./secret-cipher.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);

/** What `fn` threw, failing the test if it did not throw. */
function thrown(fn: () => unknown): Error & { code?: string; locationUid?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a throw");
}

/** Every way the key could leak into a message. */
function expectNoKeyMaterial(text: string, ...keys: Buffer[]): void {
  for (const key of keys) {
    expect(text).not.toContain(key.toString("hex").slice(0, 16));
    expect(text).not.toContain(key.toString("base64").slice(0, 16));
  }
}

describe("createSecretCipher()", () => {
  it("round-trips a secret with a fresh IV per write and names the active key id", () => {
    const cipher = createSecretCipher({ keys: new Map([["a", keyA]]), activeKeyId: "a" });
    const one = cipher.encrypt("rt-secret-value", "loc-1");
    const two = cipher.encrypt("rt-secret-value", "loc-1");
    expect(one.keyId).toBe("a");
    expect(one.ciphertext.equals(two.ciphertext)).toBe(false);
    expect(one.ciphertext.includes(Buffer.from("rt-secret-value"))).toBe(false);
    expect(cipher.decrypt(one.ciphertext, "a", "loc-1")).toBe("rt-secret-value");
    expect(cipher.decrypt(two.ciphertext, "a", "loc-1")).toBe("rt-secret-value");
  });

  it("refuses a ciphertext made for another owner (the location uid is bound as associated data)", () => {
    const cipher = createSecretCipher({ keys: new Map([["a", keyA]]), activeKeyId: "a" });
    const { ciphertext } = cipher.encrypt("rt-secret-value", "loc-1");
    const err = thrown(() => cipher.decrypt(ciphertext, "a", "loc-2"));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.locationUid).toBe("loc-2");
    expect(err.message).toContain('does not decrypt with key id "a"');
    expect(err.message).toContain("belongs to another location");
    expect(err.message).not.toContain("rt-secret-value");
  });

  it("detects a tampered ciphertext", () => {
    const cipher = createSecretCipher({ keys: new Map([["a", keyA]]), activeKeyId: "a" });
    const { ciphertext } = cipher.encrypt("rt-secret-value", "loc-1");
    ciphertext[ciphertext.length - 1] = (ciphertext[ciphertext.length - 1] as number) ^ 1;
    expect(thrown(() => cipher.decrypt(ciphertext, "a", "loc-1")).code).toBe("ERR_LOC_CREDENTIAL");
    expect(thrown(() => cipher.decrypt(Buffer.from("short"), "a", "loc-1")).message).toContain("not in a known format");
  });

  it("reads old key ids while they are listed, writes with the active one, and names a missing key id without its material", () => {
    const old = createSecretCipher({ keys: new Map([["a", keyA]]), activeKeyId: "a" }).encrypt("rt-old", "loc-1");
    const rotated = createSecretCipher({ keys: new Map([["a", keyA], ["b", keyB]]), activeKeyId: "b" });
    expect(rotated.decrypt(old.ciphertext, "a", "loc-1")).toBe("rt-old");
    expect(rotated.encrypt("rt-new", "loc-1").keyId).toBe("b");
    const onlyB = createSecretCipher({ keys: new Map([["b", keyB]]), activeKeyId: "b" });
    const err = thrown(() => onlyB.decrypt(old.ciphertext, "a", "loc-1"));
    expect(err.code).toBe("ERR_LOC_CREDENTIAL");
    expect(err.message).toContain('key id "a", which is not in credentials.encryption.keys');
    expectNoKeyMaterial(err.message, keyA, keyB);
  });

  it("fails when a key id's material changed, naming the key id only", () => {
    const { ciphertext } = createSecretCipher({ keys: new Map([["a", keyA]]), activeKeyId: "a" }).encrypt("rt", "loc-1");
    const err = thrown(() => createSecretCipher({ keys: new Map([["a", keyB]]), activeKeyId: "a" }).decrypt(ciphertext, "a", "loc-1"));
    expect(err.message).toContain('key id "a"');
    expectNoKeyMaterial(err.message, keyA, keyB);
  });

  it.each([
    [{ keys: new Map([["a", randomBytes(16)]]), activeKeyId: "a" }, 'encryption key "a" must be 32 bytes (got 16)'],
    [{ keys: new Map([["a", keyA]]), activeKeyId: "b" }, 'the active encryption key id "b" is not among the configured keys (a)'],
    [{ keys: new Map([["a b", keyA]]), activeKeyId: "a b" }, "must be 1-64 of A-Z a-z 0-9 . _ -"],
  ])("refuses bad options with InvalidConfigError (%#)", (options, message) => {
    const err = thrown(() => createSecretCipher(options));
    expect(err.code).toBe("ERR_LOC_CONFIG");
    expect(err.message).toContain(message);
  });
});

describe("parseEncryptionKey()", () => {
  it("accepts 64 hex digits and base64 (standard or URL-safe) of 32 bytes", () => {
    expect(parseEncryptionKey(keyA.toString("hex"), "k").equals(keyA)).toBe(true);
    expect(parseEncryptionKey(`${keyA.toString("base64")}\n`, "k").equals(keyA)).toBe(true);
    expect(parseEncryptionKey(keyA.toString("base64url"), "k").equals(keyA)).toBe(true);
  });

  it.each([
    ["a 16-byte key", randomBytes(16).toString("base64"), "it decodes to 16 bytes"],
    ["a 48-byte key", randomBytes(48).toString("base64"), "it decodes to 48 bytes"],
    ["a passphrase", "correct horse battery staple!", "it is neither hex nor base64"],
  ])("refuses %s, naming the key and the rule but not the value", (_label, value, why) => {
    const err = thrown(() => parseEncryptionKey(value, "credentials.encryption.keys.k1 (env:KEY_K1)"));
    expect(err.code).toBe("ERR_LOC_CONFIG");
    expect(err.message).toContain("credentials.encryption.keys.k1 (env:KEY_K1) must be a 32-byte key");
    expect(err.message).toContain(why);
    expect(err.message).not.toContain(value.slice(0, 12));
  });
});
