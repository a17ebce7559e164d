import { Code, ConnectError } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { InternalError, isCoreError, type CoreError, type CoreErrorCode } from "@podium-router/errors";
import { ErrorDetailSchema, RetryInfoSchema } from "@podium-router/proto";

/**
 * The one table from core error codes to Connect (= gRPC) codes. Where the catalog's HTTP-ish status
 * and the gRPC meaning disagree, the gRPC meaning wins, because clients act on the code:
 * UNAUTHENTICATED and PERMISSION_DENIED are reserved for the router's own caller (its API key and
 * grant), so a location whose Podium credential failed is FAILED_PRECONDITION, not UNAUTHENTICATED.
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
  ERR_LOC_INTERNAL: Code.Internal,
});

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
 * `podium.router.v1.ErrorDetail`, and rate-limit errors a `google.rpc.RetryInfo`.
 */
export function toConnectError(err: unknown, scope: ErrorScope = {}): ConnectError {
  let connectErr: ConnectError | undefined;
  const seen = new Set<unknown>();
  for (let cur = err, depth = 0; cur !== undefined && cur !== null && depth < MAX_CAUSE_DEPTH; depth++) {
    if (seen.has(cur)) break;
    seen.add(cur);
    if (isCoreError(cur)) return fromCoreError(cur, scope);
    if (cur instanceof ConnectError) {
      if (hasErrorDetail(cur)) return cur;
      connectErr ??= cur;
    }
    cur = typeof cur === "object" ? (cur as { cause?: unknown }).cause : undefined;
  }
  if (connectErr !== undefined && connectErr.code !== Code.Internal && connectErr.code !== Code.Unknown) {
    return withDetail(connectErr.rawMessage, connectErr.code, reasonForConnectCode(connectErr.code), scope, connectErr);
  }
  return fromCoreError(new InternalError({ cause: err }), scope);
}

/** Builds a ConnectError for an error the server raises itself (unknown RPC, oversized body). */
export function connectErrorFor(code: Code, reason: CoreErrorCode, message: string, scope: ErrorScope = {}): ConnectError {
  return withDetail(message, code, reason, scope, undefined);
}

function fromCoreError(e: CoreError, scope: ErrorScope): ConnectError {
  const err = withDetail(e.message, connectCodeFor[e.code], e.code, { locationUid: e.locationUid ?? scope.locationUid, requestId: e.requestId ?? scope.requestId }, e);
  if (e.retryAfterMs !== undefined && e.retryAfterMs >= 0) {
    err.details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(Math.ceil(e.retryAfterMs)) } });
  }
  return err;
}

function withDetail(message: string, code: Code, reason: CoreErrorCode, scope: ErrorScope, cause: unknown): ConnectError {
  const detail = { desc: ErrorDetailSchema, value: { reason, locationUid: scope.locationUid ?? "", requestId: scope.requestId ?? "" } };
  return new ConnectError(message, code, undefined, [detail], cause);
}

function hasErrorDetail(err: ConnectError): boolean {
  return err.details.some((d) => ("desc" in d ? d.desc.typeName : d.type) === ErrorDetailSchema.typeName);
}
