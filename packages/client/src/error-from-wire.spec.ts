import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CoreError,
  DeadlineExceededError,
  InternalError,
  LocationNotInScopeError,
  LocationRateLimitedError,
  UnauthenticatedError,
  UnknownLocationError,
} from "@podium-router/errors";
import { wireError } from "./testing/fake-router.js";
import { errorFromWire } from "./error-from-wire.js";

describe("errorFromWire()", () => {
  const cases = [
    { reason: "ERR_LOC_UNKNOWN", cls: UnknownLocationError },
    { reason: "ERR_LOC_NOT_IN_SCOPE", cls: LocationNotInScopeError },
    { reason: "ERR_LOC_UNAUTHENTICATED", cls: UnauthenticatedError },
    { reason: "ERR_LOC_RATE_LIMITED", cls: LocationRateLimitedError },
  ] as const;
  for (const { reason, cls } of cases) {
    it(`rebuilds ${cls.name} from the reason ${reason}`, () => {
      const wire = wireError(reason, "the server's message", { locationUid: "loc-1", requestId: "req-9" });
      const err = errorFromWire(wire);
      expect(err).toBeInstanceOf(cls);
      expect(err).toMatchObject({ code: reason, locationUid: "loc-1", requestId: "req-9", message: "the server's message" });
      expect((err as CoreError).cause).toBe(wire);
    });
  }

  it("reads retryAfterMs from google.rpc.RetryInfo", () => {
    const err = errorFromWire(wireError("ERR_LOC_RATE_LIMITED", "slow down", { locationUid: "loc-1", retryAfterMs: 1250 }));
    expect(err).toBeInstanceOf(LocationRateLimitedError);
    expect((err as CoreError).retryAfterMs).toBe(1250);
  });

  it("survives a round trip through the binary detail encoding", () => {
    // Errors read from the wire hold their details as bytes (IncomingDetail), not as messages.
    const sent = wireError("ERR_LOC_RATE_LIMITED", "slow down", { locationUid: "loc-1", retryAfterMs: 500 });
    const incoming = new ConnectError(sent.rawMessage, sent.code, undefined, undefined);
    incoming.details = sent.details.map((d) => {
      if (!("desc" in d)) return d;
      return { type: d.desc.typeName, value: toBinaryOf(d) };
    });
    const err = errorFromWire(incoming);
    expect(err).toMatchObject({ code: "ERR_LOC_RATE_LIMITED", locationUid: "loc-1", retryAfterMs: 500 });
  });

  it("turns an unknown reason from a newer server into InternalError naming it", () => {
    const err = errorFromWire(wireError("ERR_LOC_FROM_THE_FUTURE", "new", { code: Code.FailedPrecondition }));
    expect(err).toBeInstanceOf(InternalError);
    expect(err.message).toContain("ERR_LOC_FROM_THE_FUTURE");
  });

  it("turns a client-side deadline into DeadlineExceededError", () => {
    const err = errorFromWire(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    expect(err).toBeInstanceOf(DeadlineExceededError);
  });

  it("keeps a ConnectError that never reached the router", () => {
    const wire = new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable);
    expect(errorFromWire(wire)).toBe(wire);
  });

  it("keeps non-Connect errors as they are", () => {
    const e = new TypeError("bad option");
    expect(errorFromWire(e)).toBe(e);
  });
});

/** Encodes an outgoing detail as the wire carries it. */
function toBinaryOf(d: { desc: DescMessage; value: MessageInitShape<DescMessage> }): Uint8Array {
  return toBinary(d.desc, create(d.desc, d.value));
}
