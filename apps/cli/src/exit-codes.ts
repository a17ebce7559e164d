import { Code, ConnectError, isCoreError } from "@podium-router/client";
import type { CoreErrorCode } from "@podium-router/client";

/** The CLI's exit codes: 0 success, 1 a definite "no", 2 no answer could be had. */
export const exitCodes = {
  /** The command did what was asked (verified, onboarded or skipped, a 2xx answer). */
  ok: 0,
  /** The answer is negative: not in scope, unknown, a partial onboarding, a non-2xx answer from Podium. */
  failed: 1,
  /** No answer: bad arguments or input file, the router unreachable, the caller's key refused. */
  unavailable: 2,
} as const;

/**
 * Refusals that are an answer about the location or the request itself (exit 1). Every other code says
 * the question could not be answered — the caller's key, the router's settings, Podium or the network —
 * and exits 2, so a script can tell "not in scope" from "could not check".
 */
const answeredCodes: ReadonlySet<CoreErrorCode> = new Set<CoreErrorCode>([
  "ERR_LOC_UNKNOWN",
  "ERR_LOC_NOT_IN_SCOPE",
  "ERR_LOC_DELETED",
  "ERR_LOC_AUTH",
  "ERR_LOC_MISMATCH",
  "ERR_LOC_BAD_REQUEST",
  "ERR_LOC_CREDENTIAL",
  "ERR_LOC_ONBOARDING_PARTIAL",
  "ERR_LOC_NOT_IN_PODIUM",
  "ERR_LOC_ORG_MISMATCH",
  "ERR_LOC_ALREADY_ONBOARDED",
  "ERR_LOC_EVENT_CURSOR_EXPIRED",
  "ERR_LOC_NOT_OWNED",
]);

/**
 * The exit code for an error a command threw: 1 for the refusals in `answeredCodes`; 2 for every other
 * refusal, a usage error, a transport error, or anything unexpected (a port in use, a file system error).
 */
export function exitCodeFor(err: unknown): number {
  if (isCoreError(err)) return answeredCodes.has(err.code) ? exitCodes.failed : exitCodes.unavailable;
  return exitCodes.unavailable;
}

/** The one-line message for an error: the core's message plus its code and request id, never a secret. */
export function messageFor(err: unknown, serverUrl?: string): string {
  if (isCoreError(err)) {
    const ids = [err.code, err.requestId === undefined ? undefined : `request id ${err.requestId}`].filter(Boolean).join(", ");
    return `${err.message} (${ids})`;
  }
  if (err instanceof ConnectError) {
    const where = serverUrl === undefined ? "the router" : `the router at ${serverUrl}`;
    return `cannot get an answer from ${where}: ${err.rawMessage} [${Code[err.code]}]`;
  }
  return err instanceof Error ? err.message : String(err);
}
