import { describe, it, expect } from "vitest";
import { BadRequestError } from "@podium-router/errors";
import { DEFAULT_MAX_BODY_DEPTH, exceedsJsonDepth } from "./json-depth.js";
import { guardRequest } from "./location-guard.js";

const nested = (depth: number, open = "[", close = "]"): string => `${open.repeat(depth)}${close.repeat(depth)}`;

describe("exceedsJsonDepth()", () => {
  it("counts objects and arrays nested inside one another, up to the limit inclusive", () => {
    expect(exceedsJsonDepth(nested(3), 3)).toBe(false);
    expect(exceedsJsonDepth(nested(4), 3)).toBe(true);
    expect(exceedsJsonDepth('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(true);
    expect(exceedsJsonDepth("", 0)).toBe(false);
    expect(exceedsJsonDepth("{}", 0)).toBe(true);
  });

  it("measures depth, not the number of brackets: siblings do not add up", () => {
    const wide = `[${Array.from({ length: 10_000 }, () => "[[]]").join(",")}]`;
    expect(exceedsJsonDepth(wide, 3)).toBe(false);
    expect(exceedsJsonDepth(wide, 2)).toBe(true);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(exceedsJsonDepth(`{"k":"${"[".repeat(1_000)}"}`, 1)).toBe(false);
    expect(exceedsJsonDepth(`{"k":"\\"${"{".repeat(100)}\\\\"}`, 1)).toBe(false);
    // After an escaped backslash the quote closes the string, so the bracket after it counts.
    expect(exceedsJsonDepth(`{"k":"\\\\",  "v":[[]]}`, 2)).toBe(true);
  });

  it("handles 5,000 and 1,000,000 levels in one pass without recursion (no stack overflow)", () => {
    expect(exceedsJsonDepth(nested(5_000, '{"a":', "}"), DEFAULT_MAX_BODY_DEPTH)).toBe(true);
    expect(exceedsJsonDepth("[".repeat(1_000_000), DEFAULT_MAX_BODY_DEPTH)).toBe(true);
    expect(exceedsJsonDepth(nested(DEFAULT_MAX_BODY_DEPTH), DEFAULT_MAX_BODY_DEPTH)).toBe(false);
  });

  it("lets unbalanced or invalid text through to the parser, which judges it", () => {
    expect(exceedsJsonDepth("]]]]][[", 2)).toBe(false);
    expect(exceedsJsonDepth('"unterminated [[[[', 1)).toBe(false);
  });
});

describe("guardRequest() and the body depth limit", () => {
  const loc = { locationUid: "b405e23a-1111-4aaa-8bbb-000000000001" };
  const post = (body: string, maxBodyDepth?: number) =>
    guardRequest({ method: "POST", path: "/v4/contacts", body }, loc, { maxBodyBytes: 1_048_576, maxBodyDepth });
  const deep = (levels: number): string => `{"name":"Ada","extra":${'{"a":'.repeat(levels - 1)}1${"}".repeat(levels - 1)}}`;

  it("accepts a body nested exactly to the limit (64 by default) and refuses one level more as ERR_LOC_BAD_REQUEST", () => {
    expect(post(deep(DEFAULT_MAX_BODY_DEPTH)).body).toContain('"locations"');
    expect(() => post(deep(DEFAULT_MAX_BODY_DEPTH + 1))).toThrow(BadRequestError);
    expect(() => post(deep(DEFAULT_MAX_BODY_DEPTH + 1))).toThrow(/more than 64 levels deep \(upstream\.max_request_body_depth\)/);
  });

  it("refuses 5,000 levels before parsing, and follows the configured limit", () => {
    expect(() => post(deep(5_000))).toThrow(BadRequestError);
    expect(() => post(deep(3), 2)).toThrow(/more than 2 levels deep/);
    expect(post(deep(3), 3).method).toBe("POST");
  });
});
