import { DeadlineExceededError, UpstreamUnavailableError, isCoreError } from "@podium-router/errors";
import type { CoreError } from "@podium-router/errors";

/** How one transport failure is reported and whether an idempotent request may be sent again. */
interface UpstreamFailure {
  /** `unavailable` → UpstreamUnavailableError, `deadline` → DeadlineExceededError. */
  kind: "unavailable" | "deadline";
  /** True when a GET/HEAD may be retried: the request may or may not have reached Podium. */
  retryable: boolean;
  /** Operator-facing detail. Fixed text: never the undici message, which could echo request data. */
  detail: string;
}

/**
 * Transport failures by `err.code` (undici `UND_ERR_*` and Node socket codes), in one table.
 * Matched on the code, never on `instanceof`, so errors from a second undici copy map too.
 */
export const upstreamFailureByCode: Readonly<Record<string, UpstreamFailure>> = {
  UND_ERR_CONNECT_TIMEOUT: { kind: "unavailable", retryable: true, detail: "connecting to Podium timed out" },
  UND_ERR_HEADERS_TIMEOUT: { kind: "unavailable", retryable: true, detail: "Podium did not send response headers in time" },
  UND_ERR_BODY_TIMEOUT: { kind: "unavailable", retryable: true, detail: "Podium did not finish the response body in time" },
  UND_ERR_SOCKET: { kind: "unavailable", retryable: true, detail: "the connection to Podium was closed mid-request" },
  UND_ERR_CLOSED: { kind: "unavailable", retryable: false, detail: "the upstream connection pool is closed (router shutting down)" },
  UND_ERR_DESTROYED: { kind: "unavailable", retryable: false, detail: "the upstream connection pool was destroyed (router shutting down)" },
  UND_ERR_INFO: { kind: "unavailable", retryable: false, detail: "the upstream request was malformed" },
  ECONNREFUSED: { kind: "unavailable", retryable: true, detail: "Podium refused the connection" },
  ECONNRESET: { kind: "unavailable", retryable: true, detail: "Podium reset the connection" },
  EPIPE: { kind: "unavailable", retryable: true, detail: "the connection to Podium broke while sending" },
  ETIMEDOUT: { kind: "unavailable", retryable: true, detail: "the connection to Podium timed out" },
  EHOSTUNREACH: { kind: "unavailable", retryable: true, detail: "Podium's host is unreachable" },
  ENETUNREACH: { kind: "unavailable", retryable: true, detail: "the network to Podium is unreachable" },
  EAI_AGAIN: { kind: "unavailable", retryable: true, detail: "resolving Podium's host name failed temporarily" },
  ENOTFOUND: { kind: "unavailable", retryable: false, detail: "Podium's host name does not resolve; check upstream.base_url" },
  // An abort is the caller's signal or our deadline timer; retrying would outlive the caller.
  UND_ERR_ABORTED: { kind: "deadline", retryable: false, detail: "the call was cancelled before Podium answered" },
  ABORT_ERR: { kind: "deadline", retryable: false, detail: "the call was cancelled before Podium answered" },
};

const unknownFailure: UpstreamFailure = { kind: "unavailable", retryable: false, detail: "the request to Podium failed" };
const abortFailure = upstreamFailureByCode.UND_ERR_ABORTED as UpstreamFailure;

/** Looks the failure up by code, walking `cause` (undici wraps socket errors) with a loop bound. */
function failureOf(err: unknown): UpstreamFailure {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === "string") {
      const hit = upstreamFailureByCode[code];
      if (hit !== undefined) return hit;
    }
    if (name === "AbortError" || name === "TimeoutError") return abortFailure;
    current = (current as { cause?: unknown }).cause;
  }
  return unknownFailure;
}

/** True when a transport failure of an idempotent request may be retried. */
export function isRetryableUpstreamError(err: unknown): boolean {
  return !isCoreError(err) && failureOf(err).retryable;
}

/** Context attached to the translated error. */
export interface UpstreamErrorContext {
  requestId?: string | undefined;
  locationUid?: string | undefined;
  /** Appended to the table's detail, e.g. "after 3 attempts". */
  note?: string | undefined;
}

/**
 * Translates a transport failure into a core error, keeping the original as `cause`.
 * A core error (e.g. our own deadline reason passed through undici) is returned unchanged.
 */
export function upstreamErrorFrom(err: unknown, context: UpstreamErrorContext = {}): CoreError {
  if (isCoreError(err)) return err;
  const failure = failureOf(err);
  const detail = context.note === undefined ? failure.detail : `${failure.detail} (${context.note})`;
  const ctx = { requestId: context.requestId, locationUid: context.locationUid, cause: err };
  return failure.kind === "deadline" ? new DeadlineExceededError(ctx, detail) : new UpstreamUnavailableError(ctx, detail);
}
