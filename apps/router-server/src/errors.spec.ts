import { describe, it, expect } from "vitest";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorCatalog, errorClasses, type CoreErrorCode } from "@podium-router/errors";
import { ErrorDetailSchema, RetryInfoSchema } from "@podium-router/proto";
import { connectCodeFor, grpcJsFailure, protocolError, protocolFailures, toConnectError, type ProtocolFailure } from "./errors.js";
import { MAX_ERROR_MESSAGE_BYTES, QUOTED_PREFIX_CHARS } from "./wire-text.js";

/** The expected wire code of every core error: the table the README documents. */
const expected: Record<CoreErrorCode, Code> = {
  ERR_LOC_UNKNOWN: Code.NotFound,
  ERR_LOC_NOT_IN_SCOPE: Code.PermissionDenied,
  ERR_LOC_DELETED: Code.NotFound,
  ERR_LOC_MISMATCH: Code.InvalidArgument,
  ERR_LOC_BAD_REQUEST: Code.InvalidArgument,
  ERR_LOC_RATE_LIMITED: Code.ResourceExhausted,
  ERR_LOC_AUTH: Code.FailedPrecondition,
  ERR_LOC_UPSTREAM_UNAVAILABLE: Code.Unavailable,
  ERR_LOC_ONBOARDING_PARTIAL: Code.FailedPrecondition,
  ERR_LOC_CREDENTIAL: Code.FailedPrecondition,
  ERR_LOC_CONFIG: Code.Internal,
  ERR_LOC_UNAUTHENTICATED: Code.Unauthenticated,
  ERR_LOC_PERMISSION_DENIED: Code.PermissionDenied,
  ERR_LOC_DEADLINE_EXCEEDED: Code.DeadlineExceeded,
  ERR_LOC_BUDGET_UNAVAILABLE: Code.Unavailable,
  ERR_LOC_CONSENT_LIMIT: Code.ResourceExhausted,
  ERR_LOC_AUDIT_UNAVAILABLE: Code.Unavailable,
  ERR_LOC_INTERNAL: Code.Internal,
  ERR_LOC_NOT_IN_PODIUM: Code.NotFound,
  ERR_LOC_ORG_MISMATCH: Code.FailedPrecondition,
  ERR_LOC_ALREADY_ONBOARDED: Code.AlreadyExists,
  ERR_LOC_EVENT_SIGNATURE: Code.Unauthenticated,
  ERR_LOC_EVENT_STALE: Code.Unauthenticated,
  ERR_LOC_EVENT_REPLAYED: Code.AlreadyExists,
  ERR_LOC_EVENT_TOO_LARGE: Code.ResourceExhausted,
  ERR_LOC_EVENT_MALFORMED: Code.InvalidArgument,
  ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN: Code.NotFound,
  ERR_LOC_EVENT_STORE_UNAVAILABLE: Code.Unavailable,
  ERR_LOC_EVENT_CURSOR_EXPIRED: Code.OutOfRange,
  ERR_LOC_NOT_OWNED: Code.PermissionDenied,
};
/** The codes that carry a retry delay, sent as google.rpc.RetryInfo. */
const retryable = new Set<CoreErrorCode>(["ERR_LOC_RATE_LIMITED", "ERR_LOC_CONSENT_LIMIT", "ERR_LOC_AUDIT_UNAVAILABLE"]);

describe("connectCodeFor", () => {
  it("has a row for every core error code", () => {
    expect(Object.keys(connectCodeFor).sort()).toEqual(Object.keys(errorCatalog).sort());
  });
});

describe("toConnectError()", () => {
  for (const code of Object.keys(errorCatalog) as CoreErrorCode[]) {
    it(`maps ${code} to ${Code[expected[code]]} with its ErrorDetail`, () => {
      const retryAfterMs = retryable.has(code) ? 1500 : undefined;
      const err = toConnectError(new errorClasses[code]({ locationUid: "loc-1", requestId: "req-1", retryAfterMs }));
      expect(err.code).toBe(expected[code]);
      expect(err.findDetails(ErrorDetailSchema)).toEqual([expect.objectContaining({ reason: code, locationUid: "loc-1", requestId: "req-1" })]);
      const retry = err.findDetails(RetryInfoSchema);
      if (retryable.has(code)) {
        expect(retry).toHaveLength(1);
        expect(durationMs(retry[0]!.retryDelay!)).toBe(1500);
      } else {
        expect(retry).toHaveLength(0);
      }
    });
  }

  it("keeps the core error's message, which names the operator's action", () => {
    const err = toConnectError(new errorClasses.ERR_LOC_UNKNOWN({ locationUid: "loc-9" }));
    expect(err.rawMessage).toContain("loc-9");
    expect(err.rawMessage).toContain(errorCatalog.ERR_LOC_UNKNOWN.action);
  });

  it("fills location and request id from the call when the error lacks them", () => {
    const err = toConnectError(new errorClasses.ERR_LOC_BAD_REQUEST(), { locationUid: "loc-2", requestId: "req-2" });
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_BAD_REQUEST", locationUid: "loc-2", requestId: "req-2" });
  });

  it("finds a core error in the cause chain", () => {
    const core = new errorClasses.ERR_LOC_UPSTREAM_UNAVAILABLE({ locationUid: "loc-3" });
    const wrapped = new Error("outer", { cause: new Error("middle", { cause: core }) });
    expect(toConnectError(wrapped).code).toBe(Code.Unavailable);
  });

  it("stops on a cause cycle and answers INTERNAL without leaking the message", () => {
    const a = new Error("secret: password=hunter2") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    const err = toConnectError(a, { requestId: "req-4" });
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).not.toContain("hunter2");
    expect(err.rawMessage).toBe(`${errorCatalog.ERR_LOC_INTERNAL.title}. ${errorCatalog.ERR_LOC_INTERNAL.action}`);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_INTERNAL", requestId: "req-4" });
  });

  it("keeps the code of a bare ConnectError and adds the matching reason", () => {
    const err = toConnectError(new ConnectError("the operation timed out", Code.DeadlineExceeded), { locationUid: "loc-5" });
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_DEADLINE_EXCEEDED", locationUid: "loc-5" });
  });

  it("returns a ConnectError that already carries an ErrorDetail unchanged", () => {
    const first = toConnectError(new errorClasses.ERR_LOC_MISMATCH({ locationUid: "loc-6" }));
    expect(toConnectError(first, { locationUid: "other" })).toBe(first);
  });

  it("hides the message of a framework INTERNAL error", () => {
    const err = toConnectError(new ConnectError("TypeError: cannot read x of undefined", Code.Internal));
    expect(err.rawMessage).not.toContain("TypeError");
  });
});

describe("bounded errors (issue 11 item 5)", () => {
  const longUid = `loc-${"x".repeat(400_000)}`;

  it("quotes a long location uid as a short prefix in the message and the ErrorDetail, whatever error carries it", () => {
    for (const err of [
      toConnectError(new errorClasses.ERR_LOC_UNKNOWN({ locationUid: longUid, requestId: "req-1" })),
      toConnectError(new errorClasses.ERR_LOC_PERMISSION_DENIED({ locationUid: longUid }, `the API key of ops is not granted location ${longUid}`)),
      toConnectError(new ConnectError(`framework says ${longUid}`, Code.InvalidArgument), { locationUid: longUid }),
    ]) {
      expect(Buffer.byteLength(err.rawMessage, "utf8")).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
      expect(err.rawMessage).toContain('"loc-xxxxxxxx');
      const detail = err.findDetails(ErrorDetailSchema)[0];
      expect(detail?.locationUid).toBe(`${longUid.slice(0, QUOTED_PREFIX_CHARS)}…`);
      expect(detail?.requestId).not.toBe("");
    }
  });

  it("bounds an error that already carries an ErrorDetail but an unbounded message", () => {
    const first = protocolError("undecodable_message");
    const grown = new ConnectError(`${first.rawMessage} ${"z".repeat(5_000)}`, first.code, undefined, undefined);
    grown.details.push(...first.details);
    const bounded = toConnectError(grown);
    expect(Buffer.byteLength(bounded.rawMessage, "utf8")).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
    expect(bounded.findDetails(ErrorDetailSchema)).toEqual(first.findDetails(ErrorDetailSchema));
  });
});

describe("protocol failures (issue 11 item 7)", () => {
  it("are client faults with reason ERR_LOC_BAD_REQUEST, except a deadline and a server fault", () => {
    for (const [kind, row] of Object.entries(protocolFailures) as [ProtocolFailure, (typeof protocolFailures)[ProtocolFailure]][]) {
      if (kind === "deadline_exceeded") expect([row.code, row.reason]).toEqual([Code.DeadlineExceeded, "ERR_LOC_DEADLINE_EXCEEDED"]);
      else if (kind === "server_fault") expect([row.code, row.reason]).toEqual([Code.Internal, "ERR_LOC_INTERNAL"]);
      else {
        expect([Code.InvalidArgument, Code.ResourceExhausted, Code.Unimplemented], kind).toContain(row.code);
        expect(row.reason, kind).toBe("ERR_LOC_BAD_REQUEST");
      }
    }
  });

  it("give every refusal an ErrorDetail with a fresh request id and the table's code", () => {
    const err = protocolError("malformed_timeout");
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.findDetails(ErrorDetailSchema)[0]).toMatchObject({ reason: "ERR_LOC_BAD_REQUEST", requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(protocolError("deadline_exceeded", { requestId: "req-9" }).findDetails(ErrorDetailSchema)[0]?.requestId).toBe("req-9");
  });

  it("recognise the statuses grpc-js sends by itself; anything else is a server fault", () => {
    expect(grpcJsFailure(Code.DeadlineExceeded, "Deadline exceeded")).toBe("deadline_exceeded");
    expect(grpcJsFailure(Code.Internal, 'Invalid grpc-timeout value "abc"')).toBe("malformed_timeout");
    expect(grpcJsFailure(Code.Internal, "Failed to decompress message")).toBe("corrupt_compression");
    expect(grpcJsFailure(Code.ResourceExhausted, "Received message that decompresses to a size larger than 65536")).toBe("decompressed_too_large");
    expect(grpcJsFailure(Code.Unimplemented, 'Received message compressed with unsupported encoding "snappy"')).toBe("unsupported_encoding");
    expect(grpcJsFailure(Code.Internal, "Error serializing response")).toBe("server_fault");
    expect(grpcJsFailure(Code.Unknown, "Unknown error")).toBe("server_fault");
  });
});
