import { describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { isLocationUid, newRequestId, validateRequestId } from "./ids.js";

describe("newRequestId()", () => {
  it("returns distinct ids that validateRequestId() accepts", () => {
    const ids = new Set(Array.from({ length: 100 }, () => newRequestId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(validateRequestId(id)).toBe(id);
  });
});

describe("validateRequestId()", () => {
  it.each(["a", "req-1", "A.b_c-9", "x".repeat(128), "0b6f4c1e-3f5a-4f0e-9d0a-1c2b3d4e5f60"])("accepts %j", (id) => {
    expect(validateRequestId(id)).toBe(id);
  });

  it.each([
    ["empty", ""],
    ["too long", "x".repeat(129)],
    ["a space", "req 1"],
    ["a slash", "req/1"],
    ["a newline (log injection)", "req\nfake"],
    ["non-ASCII", "réq"],
    ["a colon", "a:b"],
    ["not a string", 42],
  ])("rejects %s with ERR_LOC_BAD_REQUEST", (_label, id) => {
    let caught: unknown;
    try {
      validateRequestId(id);
    } catch (err) {
      caught = err;
    }
    expect(isCoreError(caught) && caught.code).toBe("ERR_LOC_BAD_REQUEST");
    // The offending value is never echoed: it may be a log-injection attempt.
    expect((caught as Error).message).not.toContain(String(id).slice(0, 5) || "\u0000");
  });
});

describe("isLocationUid()", () => {
  it.each(["loc-1", "c0a57a15-5e11-4000-8000-000000000001", "A", "a.b_c-9", `a${"x".repeat(127)}`])("accepts %j", (uid) => {
    expect(isLocationUid(uid)).toBe(true);
  });

  it.each([["empty", ""], ["a leading dot", ".hidden"], ["a dot-dot", ".."], ["a leading dash", "-x"], ["a slash", "a/b"], ["too long", `a${"x".repeat(128)}`], ["not a string", 42]])(
    "refuses %s, in every place that takes a uid",
    (_what, uid) => {
      expect(isLocationUid(uid)).toBe(false);
    },
  );
});
