import { Code, ConnectError } from "@connectrpc/connect";
import { coreErrorFromCode, DeadlineExceededError } from "@podium-router/errors";
import { ErrorDetailSchema, RetryInfoSchema } from "@podium-router/proto";

/**
 * Rebuilds the typed core error from an error the router sent: the `ErrorDetail` reason picks the class
 * (`UnknownLocationError` for `ERR_LOC_UNKNOWN`, …), with its `locationUid`, `requestId` and, for rate
 * limits, `retryAfterMs` from `google.rpc.RetryInfo`. The `ConnectError` stays reachable as `cause`.
 *
 * A client-side deadline becomes `DeadlineExceededError`. Anything else without a reason (connection
 * refused, a proxy's answer) is returned as the `ConnectError` itself: it did not come from the router.
 */
export function errorFromWire(reason: unknown): Error {
  if (!(reason instanceof ConnectError)) {
    // Errors thrown by our own code (or the caller's interceptors) are not wire errors; keep them.
    if (reason instanceof Error) return reason;
    return ConnectError.from(reason);
  }
  const detail = reason.findDetails(ErrorDetailSchema)[0];
  const retryAfterMs = retryDelayMsOf(reason);
  if (detail !== undefined && detail.reason !== "") {
    return coreErrorFromCode(
      detail.reason,
      {
        locationUid: nonEmpty(detail.locationUid),
        requestId: nonEmpty(detail.requestId),
        retryAfterMs,
        cause: reason,
      },
      reason.rawMessage,
    );
  }
  if (reason.code === Code.DeadlineExceeded) {
    // Raised by the transport when the caller's own timeoutMs or signal deadline passed.
    return new DeadlineExceededError({ cause: reason }, reason.rawMessage);
  }
  return reason;
}

/**
 * The retry delay the router attached as `google.rpc.RetryInfo`, in milliseconds, if any.
 * @internal
 */
export function retryDelayMsOf(err: ConnectError): number | undefined {
  const info = err.findDetails(RetryInfoSchema)[0];
  const delay = info?.retryDelay;
  if (delay === undefined) return undefined;
  return Math.max(0, Number(delay.seconds) * 1000 + Math.ceil(delay.nanos / 1_000_000));
}

function nonEmpty(value: string): string | undefined {
  return value === "" ? undefined : value;
}
