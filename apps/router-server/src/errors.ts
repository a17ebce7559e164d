import { Code, ConnectError } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { newRequestId } from "@podium-router/core";
import { errorCatalog, InternalError, isCoreError, type CoreError, type CoreErrorCode } from "@podium-router/errors";
import { ErrorDetailSchema, RetryInfoSchema } from "@podium-router/proto";
import { boundMessage, isBoundedMessage, wireId } from "./wire-text.js";

/**
 * The one table from core error codes to Connect (= gRPC) codes. Where the catalog's HTTP-ish status
 * and the gRPC meaning disagree, the gRPC meaning wins, because clients act on the code:
 * UNAUTHENTICATED is reserved for the router's own caller (its API key), so a location whose Podium credential
 * failed is FAILED_PRECONDITION; PERMISSION_DENIED says the call may not touch what it asked for: the caller's
 * grants, the location's scope in Podium, or a resource another location owns.
 */
export const connectCodeFor: Readonly<Record<CoreErrorCode, Code>> = Object.freeze({
  ERR_LOC_UNKNOWN: Code.NotFound,
  // Podium's own 403 for the location: the caller may try again after the operator re-authorizes.
  ERR_LOC_NOT_IN_SCOPE: Code.PermissionDenied,
  ERR_LOC_DELETED: Code.NotFound,
  ERR_LOC_MISMATCH: Code.InvalidArgument,
  ERR_LOC_BAD_REQUEST: Code.InvalidArgument,
  ERR_LOC_RATE_LIMITED: Code.ResourceExhausted,
  // The location's OAuth credential is broken; retrying will not help until an operator acts.
  ERR_LOC_AUTH: Code.FailedPrecondition,
  ERR_LOC_UPSTREAM_UNAVAILABLE: Code.Unavailable,
  // Bulk onboarding reports per-location results; the whole request only fails as a precondition.
  ERR_LOC_ONBOARDING_PARTIAL: Code.FailedPrecondition,
  // A registered location whose credential file cannot be read is an operator problem, not the caller's.
  ERR_LOC_CREDENTIAL: Code.FailedPrecondition,
  ERR_LOC_CONFIG: Code.Internal,
  ERR_LOC_UNAUTHENTICATED: Code.Unauthenticated,
  ERR_LOC_PERMISSION_DENIED: Code.PermissionDenied,
  ERR_LOC_DEADLINE_EXCEEDED: Code.DeadlineExceeded,
  ERR_LOC_BUDGET_UNAVAILABLE: Code.Unavailable,
  // Too many consents pending for this caller or organization: retry when one expires (RetryInfo says when).
  ERR_LOC_CONSENT_LIMIT: Code.ResourceExhausted,
  // The audit log cannot be written: this replica refuses until its disk takes lines again (another may not).
  ERR_LOC_AUDIT_UNAVAILABLE: Code.Unavailable,
  ERR_LOC_INTERNAL: Code.Internal,
  // Onboarding only: the uid names nothing in Podium.
  ERR_LOC_NOT_IN_PODIUM: Code.NotFound,
  // Onboarding only: the slug given conflicts with the organization the router already knows for it.
  ERR_LOC_ORG_MISMATCH: Code.FailedPrecondition,
  // Onboarding only: the location exists with other credentials and the caller did not ask to replace them.
  ERR_LOC_ALREADY_ONBOARDED: Code.AlreadyExists,
  // The webhook receiver answers these over plain HTTP (the catalog's status); the codes are for completeness.
  ERR_LOC_EVENT_SIGNATURE: Code.Unauthenticated,
  ERR_LOC_EVENT_STALE: Code.Unauthenticated,
  ERR_LOC_EVENT_REPLAYED: Code.AlreadyExists,
  ERR_LOC_EVENT_TOO_LARGE: Code.ResourceExhausted,
  ERR_LOC_EVENT_MALFORMED: Code.InvalidArgument,
  ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN: Code.NotFound,
  // WatchEvents: the event log cannot be read now; retrying later can succeed.
  ERR_LOC_EVENT_STORE_UNAVAILABLE: Code.Unavailable,
  // WatchEvents: the cursor points before what retention kept; the subscriber must start over and reconcile.
  ERR_LOC_EVENT_CURSOR_EXPIRED: Code.OutOfRange,
  // Isolation by ownership: the resource is not the routed location's (or its owner cannot be proven).
  ERR_LOC_NOT_OWNED: Code.PermissionDenied,
});

/**
 * Failures of the protocol layer itself, before (or around) the service: framing, compression, headers,
 * decoding, and the statuses connect-node and grpc-js raise on their own. Client faults are
 * INVALID_ARGUMENT, RESOURCE_EXHAUSTED (a size limit) or UNIMPLEMENTED (something this server does not
 * speak), never INTERNAL; all carry reason ERR_LOC_BAD_REQUEST. The messages name no caller value.
 */
export type ProtocolFailure =
  | "unknown_rpc"
  | "no_host"
  | "request_too_large"
  | "message_too_large"
  | "decompressed_too_large"
  | "malformed_timeout"
  | "unsupported_encoding"
  | "corrupt_compression"
  | "compressed_without_encoding"
  | "bad_frame_flags"
  | "truncated_message"
  | "missing_message"
  | "extra_message"
  | "undecodable_message"
  | "deadline_exceeded"
  | "server_fault";

/** One row of {@link protocolFailures}: the wire code, the ErrorDetail reason and the message. */
export interface ProtocolFailureRow {
  readonly code: Code;
  readonly reason: CoreErrorCode;
  readonly message: string;
}

const badRequest = (code: Code, message: string): ProtocolFailureRow => ({ code, reason: "ERR_LOC_BAD_REQUEST", message });

/** The table of protocol-level failures (README "Protocol errors" lists it). */
export const protocolFailures: Readonly<Record<ProtocolFailure, ProtocolFailureRow>> = Object.freeze({
  unknown_rpc: badRequest(Code.Unimplemented, "unknown RPC"),
  no_host: badRequest(Code.InvalidArgument, "the request has no Host header"),
  request_too_large: badRequest(Code.ResourceExhausted, "the request body exceeds server.max_request_bytes"),
  message_too_large: badRequest(Code.ResourceExhausted, "a request message exceeds server.max_request_bytes"),
  decompressed_too_large: badRequest(Code.ResourceExhausted, "a request message exceeds server.max_request_bytes once decompressed"),
  malformed_timeout: badRequest(
    Code.InvalidArgument,
    "the timeout header is malformed (grpc-timeout: 1-8 digits and a unit H, M, S, m, u or n; connect-timeout-ms: 1-10 digits)",
  ),
  unsupported_encoding: badRequest(Code.Unimplemented, "the request is compressed with an encoding this server does not accept"),
  corrupt_compression: badRequest(Code.InvalidArgument, "a compressed request message cannot be decompressed"),
  compressed_without_encoding: badRequest(Code.InvalidArgument, "a request message is flagged as compressed, but the request names no encoding"),
  bad_frame_flags: badRequest(Code.InvalidArgument, "a request message frame has flags this protocol does not define"),
  truncated_message: badRequest(Code.InvalidArgument, "the request ends inside a message frame"),
  missing_message: badRequest(Code.InvalidArgument, "the request carries no message; this RPC takes exactly one"),
  extra_message: badRequest(Code.InvalidArgument, "the request carries more than one message; this RPC takes exactly one"),
  undecodable_message: badRequest(Code.InvalidArgument, "the request message cannot be decoded"),
  deadline_exceeded: { code: Code.DeadlineExceeded, reason: "ERR_LOC_DEADLINE_EXCEEDED", message: "the caller's deadline passed before the call finished" },
  server_fault: {
    code: Code.Internal,
    reason: "ERR_LOC_INTERNAL",
    message: `${errorCatalog.ERR_LOC_INTERNAL.title}. ${errorCatalog.ERR_LOC_INTERNAL.action}`,
  },
});

/**
 * The statuses @grpc/grpc-js (1.14) sends by itself, without an ErrorDetail, by code and the text it
 * gives them; the server's own checks answer most of these first, so this is the backstop. A status
 * not listed here is a server fault.
 */
const grpcJsStatuses: readonly (readonly [Code, RegExp, ProtocolFailure])[] = [
  [Code.DeadlineExceeded, /^/, "deadline_exceeded"],
  [Code.Internal, /^Invalid grpc-timeout/, "malformed_timeout"],
  [Code.Internal, /^Failed to decompress/, "corrupt_compression"],
  [Code.Internal, /^Error deserializing request/, "undecodable_message"],
  [Code.ResourceExhausted, /decompresses to a size larger/, "decompressed_too_large"],
  [Code.ResourceExhausted, /^Received message larger than max/, "message_too_large"],
  [Code.Unimplemented, /unsupported encoding/, "unsupported_encoding"],
  [Code.Unimplemented, /^Received no request message/, "missing_message"],
  [Code.Unimplemented, /^Received a second request message/, "extra_message"],
  [Code.Unimplemented, /^The server does not implement/, "unknown_rpc"],
];

/** The reason a Connect error raised outside the core (by the framework, or a size limit) carries. */
function reasonForConnectCode(code: Code): CoreErrorCode {
  switch (code) {
    case Code.InvalidArgument:
    case Code.ResourceExhausted:
    case Code.Unimplemented:
    case Code.OutOfRange:
      return "ERR_LOC_BAD_REQUEST";
    case Code.DeadlineExceeded:
    case Code.Canceled:
      return "ERR_LOC_DEADLINE_EXCEEDED";
    case Code.Unauthenticated:
      return "ERR_LOC_UNAUTHENTICATED";
    case Code.PermissionDenied:
      return "ERR_LOC_PERMISSION_DENIED";
    default:
      return "ERR_LOC_INTERNAL";
  }
}

/** The call an error belongs to, for the ErrorDetail when the error itself does not say. */
export interface ErrorScope {
  locationUid?: string | undefined;
  requestId?: string | undefined;
}

// Deep enough for any real wrapping (undici → core → abort reason), short enough to stop a cycle fast.
const MAX_CAUSE_DEPTH = 8;

/**
 * Converts anything thrown while serving a call into the ConnectError sent on the wire. It walks
 * `cause` (with a loop guard) for a core error; a bare ConnectError keeps its code; anything else
 * becomes INTERNAL with the catalog's message, never the original text. Every result carries a
 * `podium.router.v1.ErrorDetail` (with a request id, a fresh one when the call has none yet), and
 * rate-limit errors a `google.rpc.RetryInfo`. Every message is bounded (see wire-text.ts): a caller's
 * value appears as a short, sanitised prefix at most, whatever error carried it.
 */
export function toConnectError(err: unknown, scope: ErrorScope = {}): ConnectError {
  let connectErr: ConnectError | undefined;
  const seen = new Set<unknown>();
  for (let cur = err, depth = 0; cur !== undefined && cur !== null && depth < MAX_CAUSE_DEPTH; depth++) {
    if (seen.has(cur)) break;
    seen.add(cur);
    if (isCoreError(cur)) return fromCoreError(cur, scope);
    if (cur instanceof ConnectError) {
      if (hasErrorDetail(cur)) return isBoundedMessage(cur.rawMessage) ? cur : rebound(cur);
      connectErr ??= cur;
    }
    cur = typeof cur === "object" ? (cur as { cause?: unknown }).cause : undefined;
  }
  if (connectErr !== undefined && connectErr.code !== Code.Internal && connectErr.code !== Code.Unknown) {
    return withDetail(connectErr.rawMessage, connectErr.code, reasonForConnectCode(connectErr.code), scope, connectErr);
  }
  return fromCoreError(new InternalError({ cause: err }), scope);
}

/** A copy of an error carrying an ErrorDetail (made elsewhere) with its message bounded. */
function rebound(err: ConnectError): ConnectError {
  const copy = new ConnectError(boundMessage(err.rawMessage), err.code, err.metadata, undefined, err.cause);
  copy.details.push(...err.details);
  return copy;
}

/** Builds a ConnectError for an error the server raises itself (an unauthenticated scrape, say). */
export function connectErrorFor(code: Code, reason: CoreErrorCode, message: string, scope: ErrorScope = {}): ConnectError {
  return withDetail(message, code, reason, scope, undefined);
}

/**
 * The ConnectError for a protocol-level failure (see {@link protocolFailures}). `detail` is appended to
 * the message and must quote caller values with quoteValue; `metadata` goes out as headers (an
 * UNIMPLEMENTED encoding names the accepted ones).
 */
export function protocolError(kind: ProtocolFailure, scope: ErrorScope = {}, detail?: string, metadata?: Record<string, string>): ConnectError {
  const row = protocolFailures[kind];
  return withDetail(detail === undefined ? row.message : `${row.message}: ${detail}`, row.code, row.reason, scope, undefined, metadata);
}

/** The protocol failure behind a status grpc-js sent by itself (see grpcJsStatuses); unknown ones are server faults. */
export function grpcJsFailure(code: number, message: string): ProtocolFailure {
  return grpcJsStatuses.find(([c, text]) => c === code && text.test(message))?.[2] ?? "server_fault";
}

function fromCoreError(e: CoreError, scope: ErrorScope): ConnectError {
  const callScope = { locationUid: e.locationUid ?? scope.locationUid, requestId: e.requestId ?? scope.requestId };
  const err = withDetail(e.message, connectCodeFor[e.code], e.code, callScope, e, undefined, [scope.locationUid, scope.requestId]);
  if (e.retryAfterMs !== undefined && e.retryAfterMs >= 0) {
    err.details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(Math.ceil(e.retryAfterMs)) } });
  }
  return err;
}

/**
 * The one constructor of the errors this server sends: the message is bounded with the call's caller
 * values quoted, and the ErrorDetail's ids are the call's own when they follow the id rule, else a
 * sanitised prefix. A call without a request id yet gets a fresh one, so every refusal can be quoted.
 */
function withDetail(
  message: string,
  code: Code,
  reason: CoreErrorCode,
  scope: ErrorScope,
  cause: unknown,
  metadata?: Record<string, string>,
  moreCallerValues: readonly (string | undefined)[] = [],
): ConnectError {
  const requestId = scope.requestId === undefined || scope.requestId === "" ? newRequestId() : scope.requestId;
  const detail = { desc: ErrorDetailSchema, value: { reason, locationUid: wireId(scope.locationUid), requestId: wireId(requestId) } };
  return new ConnectError(boundMessage(message, [scope.locationUid, scope.requestId, ...moreCallerValues]), code, metadata, [detail], cause);
}

/** The podium.router.v1.ErrorDetail `err` carries (built by this module), if any. */
export function errorDetailOf(err: ConnectError): { reason: string; locationUid: string; requestId: string } | undefined {
  return err.findDetails(ErrorDetailSchema)[0];
}

/** True when `err` already carries a podium.router.v1.ErrorDetail (it was built by this module). */
export function hasErrorDetail(err: ConnectError): boolean {
  return err.details.some((d) => ("desc" in d ? d.desc.typeName : d.type) === ErrorDetailSchema.typeName);
}
