import { describe, expect, it } from "vitest";
import { LocationAuthError } from "@podium-router/errors";
import { isRetryableUpstreamError, upstreamErrorFrom, upstreamFailureByCode } from "./upstream-errors.js";

/** An error shaped like undici's: a code, and a message that (in a bad world) echoes request data. */
function undiciLike(code: string, message = "Bearer sbx-at-SECRET leaked into a message"): Error {
  return Object.assign(new Error(message), { code });
}

describe("upstreamErrorFrom()", () => {
  const cases: Array<[string, string, boolean]> = [
    ["UND_ERR_CONNECT_TIMEOUT", "ERR_LOC_UPSTREAM_UNAVAILABLE", true],
    ["UND_ERR_HEADERS_TIMEOUT", "ERR_LOC_UPSTREAM_UNAVAILABLE", true],
    ["UND_ERR_BODY_TIMEOUT", "ERR_LOC_UPSTREAM_UNAVAILABLE", true],
    ["UND_ERR_SOCKET", "ERR_LOC_UPSTREAM_UNAVAILABLE", true],
    ["ECONNREFUSED", "ERR_LOC_UPSTREAM_UNAVAILABLE", true],
    ["ECONNRESET", "ERR_LOC_UPSTREAM_UNAVAILABLE", true],
    ["UND_ERR_CLOSED", "ERR_LOC_UPSTREAM_UNAVAILABLE", false],
    ["ENOTFOUND", "ERR_LOC_UPSTREAM_UNAVAILABLE", false],
    ["UND_ERR_ABORTED", "ERR_LOC_DEADLINE_EXCEEDED", false],
    ["ABORT_ERR", "ERR_LOC_DEADLINE_EXCEEDED", false],
  ];

  it.each(cases)("maps %s to %s (retryable: %s)", (code, expected, retryable) => {
    const original = undiciLike(code);
    const err = upstreamErrorFrom(original, { requestId: "req-1", locationUid: "loc-1" });
    expect(err.code).toBe(expected);
    expect(err.cause).toBe(original);
    expect(err.requestId).toBe("req-1");
    expect(err.locationUid).toBe("loc-1");
    expect(isRetryableUpstreamError(original)).toBe(retryable);
  });

  it("never copies the original message, so nothing it echoes reaches the caller", () => {
    for (const code of [...Object.keys(upstreamFailureByCode), "SOMETHING_NEW"]) {
      expect(upstreamErrorFrom(undiciLike(code)).message).not.toContain("SECRET");
    }
  });

  it("finds the code on a wrapped cause", () => {
    const wrapped = Object.assign(new Error("fetch failed"), { cause: undiciLike("ECONNREFUSED") });
    expect(upstreamErrorFrom(wrapped).code).toBe("ERR_LOC_UPSTREAM_UNAVAILABLE");
    expect(isRetryableUpstreamError(wrapped)).toBe(true);
  });

  it("treats a DOMException AbortError as a deadline", () => {
    const abort = new DOMException("This operation was aborted", "AbortError");
    expect(upstreamErrorFrom(abort).code).toBe("ERR_LOC_DEADLINE_EXCEEDED");
  });

  it("reports an unknown failure as unavailable and not retryable", () => {
    const err = upstreamErrorFrom(new TypeError("boom"));
    expect(err.code).toBe("ERR_LOC_UPSTREAM_UNAVAILABLE");
    expect(isRetryableUpstreamError(new TypeError("boom"))).toBe(false);
  });

  it("passes a core error through unchanged", () => {
    const core = new LocationAuthError({ locationUid: "x" });
    expect(upstreamErrorFrom(core)).toBe(core);
    expect(isRetryableUpstreamError(core)).toBe(false);
  });

  it("adds the note to the detail", () => {
    expect(upstreamErrorFrom(undiciLike("ECONNRESET"), { note: "POST is never replayed" }).message).toContain("POST is never replayed");
  });
});
