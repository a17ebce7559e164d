import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonErrorOffset } from "./json-error-offset.js";

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("jsonErrorOffset()", () => {
  it("points at the first character that cannot continue the JSON", () => {
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset("hello")).toBe(0);
    expect(jsonErrorOffset('{\n  "a": 1,\n  b\n}')).toBe(14);
    expect(jsonErrorOffset("[1,]")).toBe(3);
    expect(jsonErrorOffset('{"a":1}}')).toBe(7);
    expect(jsonErrorOffset('{"a":"x\ny"}')).toBe(7);
    expect(jsonErrorOffset("[01]")).toBe(2);
  });

  it("reports the end of a truncated text", () => {
    expect(jsonErrorOffset("")).toBe(0);
    expect(jsonErrorOffset('{"locations": [{"a"')).toBe(19);
    expect(jsonErrorOffset('{"a": "unterminated')).toBe(19);
  });

  it("agrees with JSON.parse on which texts are valid", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(jsonErrorOffset(text)).toBeUndefined();
      }),
    );
    // Valid JSON with one character dropped or inserted: mostly invalid, sometimes still valid.
    const mutated = fc.tuple(fc.json(), fc.nat(), fc.constantFrom("", "}", "]", ",", '"', ":", "x", "\\", "-", " ", "1")).map(([text, at, ch]) => {
      const k = at % (text.length + 1);
      return ch === "" ? text.slice(0, k) + text.slice(k + 1) : text.slice(0, k) + ch + text.slice(k);
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string()), (text) => {
        const offset = jsonErrorOffset(text);
        expect(offset === undefined).toBe(parses(text));
        if (offset !== undefined) expect(offset).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 2000 },
    );
  });
});
