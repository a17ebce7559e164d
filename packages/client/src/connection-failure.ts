/**
 * Node's codes for a connection that failed or broke under a call: the peer went away (a router restarted,
 * killed, or behind a load balancer that dropped it), not an answer from it. connect-node maps only some of them
 * to a retryable code (ECONNRESET → Aborted, ECONNREFUSED → Unavailable) and the rest, EPIPE among them (a write
 * to a socket the killed router left half-open), to Internal, which would otherwise read as a router bug.
 */
const CONNECTION_CODES = new Set([
  "EPIPE",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_INVALID_SESSION",
]);

/** Bound on the cause chain walked: causes can point back at each other. */
const MAX_CAUSES = 8;

/** True when `err`, or an error in its cause chain, is Node's report of a failed or broken connection. */
export function isConnectionFailure(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < MAX_CAUSES && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
