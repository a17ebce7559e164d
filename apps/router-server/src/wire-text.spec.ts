import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { boundMessage, followsIdRule, isBoundedMessage, MAX_ERROR_MESSAGE_BYTES, quoteValue, QUOTED_PREFIX_CHARS, valuePrefix, wireId } from "./wire-text.js";

describe("wire text", () => {
  it("follows the core's id rule: 1-128 characters of letters, digits, '.', '_' or '-'", () => {
    expect(followsIdRule("c0a57a15-5e11-4000-8000-000000000001")).toBe(true);
    expect(followsIdRule("a".repeat(128))).toBe(true);
    for (const bad of ["", "a".repeat(129), "a b", "a/b", "é", "a\n"]) expect(followsIdRule(bad), JSON.stringify(bad)).toBe(false);
  });

  it("quotes a long value as a short printable prefix with its length", () => {
    const value = `\u202e${"x".repeat(100_000)}`;
    expect(valuePrefix(value)).toBe(`?${"x".repeat(QUOTED_PREFIX_CHARS - 1)}…`);
    expect(quoteValue(value)).toBe(`"?${"x".repeat(QUOTED_PREFIX_CHARS - 1)}…" (100001 characters)`);
    expect(quoteValue('a"b')).toBe('"a\\"b"');
  });

  it("keeps an id that follows the rule and cuts anything else for an ErrorDetail field", () => {
    expect(wireId("loc-1")).toBe("loc-1");
    expect(wireId(undefined)).toBe("");
    expect(wireId("x".repeat(500))).toBe(`${"x".repeat(QUOTED_PREFIX_CHARS)}…`);
    expect(wireId("loc 1\n")).toBe("loc 1?");
  });

  it("replaces a long caller value in a message by its quote and keeps the rest", () => {
    const uid = "y".repeat(1_000);
    const message = boundMessage(`Location is not registered: ${uid}. Onboard it.`, [uid]);
    expect(message).toBe(`Location is not registered: ${quoteValue(uid)}. Onboard it.`);
  });

  it("bounds any message: printable, no unpaired surrogate, runs and total size cut, idempotent", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 3_000 }), fc.array(fc.string({ maxLength: 300 }), { maxLength: 3 }), (text, values) => {
        const bounded = boundMessage(text, values);
        expect(Buffer.byteLength(bounded, "utf8")).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
        expect(bounded).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(() => encodeURI(bounded)).not.toThrow();
        expect(bounded.split(/\s/).every((run) => run.length <= 96)).toBe(true);
        expect(isBoundedMessage(bounded)).toBe(true);
      }),
    );
  });
});
