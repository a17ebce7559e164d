import { describe, expect, it } from "vitest";
import { Code, ConnectError, LocationNotInScopeError, LocationRateLimitedError, UnauthenticatedError, UnknownLocationError } from "@podium-router/client";
import { UsageError } from "./cli-error.js";
import { exitCodeFor, messageFor } from "./exit-codes.js";

describe("exitCodeFor()", () => {
  const cases: [string, unknown, number][] = [
    ["an unknown location", new UnknownLocationError({ locationUid: "x" }), 1],
    ["a location not in scope", new LocationNotInScopeError({ locationUid: "x" }), 1],
    ["a refused API key", new UnauthenticatedError(), 2],
    ["a rate limit (try again later)", new LocationRateLimitedError({ retryAfterMs: 10 }), 2],
    ["a usage error", new UsageError("missing --location-uid"), 2],
    ["a transport error", new ConnectError("connect ECONNREFUSED", Code.Unavailable), 2],
    ["anything else", new Error("listen EADDRINUSE"), 2],
  ];
  for (const [what, err, code] of cases) {
    it(`exits ${code} for ${what}`, () => {
      expect(exitCodeFor(err)).toBe(code);
    });
  }
});

describe("messageFor()", () => {
  it("adds the code and request id to a core error's message", () => {
    const err = new UnknownLocationError({ locationUid: "loc-1", requestId: "r-1" });
    expect(messageFor(err)).toBe(`${err.message} (ERR_LOC_UNKNOWN, request id r-1)`);
  });

  it("names the router and the Connect code of a transport error", () => {
    expect(messageFor(new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable), "http://127.0.0.1:1")).toBe(
      "cannot get an answer from the router at http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1 [Unavailable]",
    );
  });
});
