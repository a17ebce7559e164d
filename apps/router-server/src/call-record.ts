import { createContextKey, createContextValues, type ConnectError, type ContextValues } from "@connectrpc/connect";
import type { ErrorScope } from "./errors.js";

/**
 * What the transport learns about one call while serving it. Both engines create one per request and
 * hand it to the service through the HandlerContext's values, so an error the protocol layer raises
 * after the service saw the call (grpc-js's own deadline, say) carries the call's request id, the one
 * its audit line has.
 */
export interface CallRecord {
  /** The call's location and request id, once the service has seen it. */
  scope: ErrorScope | undefined;
  /** True once a service implementation (or the interceptor in front of it) received the request. */
  reached: boolean;
  /** The protocol failure the server's own checks refused the request with, if any. */
  failure: ConnectError | undefined;
  /**
   * True when the request came over TLS or from a loopback address: nothing on a network path could read it.
   * Secret values (a refresh token) are refused on any other connection unless the operator allows it.
   */
  confidential: boolean;
}

const callRecordKey = createContextKey<CallRecord | undefined>(undefined, { description: "podium-router call record" });

/** What a request's connection tells about its peer: a `net.Socket`, or a `tls.TLSSocket` (`encrypted`). */
export interface PeerSocket {
  readonly remoteAddress?: string | undefined;
  readonly encrypted?: boolean | undefined;
}

/** A record for a new request over `socket`; without one (it is gone already) the request counts as not confidential. */
export function createCallRecord(socket: PeerSocket | undefined): CallRecord {
  return { scope: undefined, reached: false, failure: undefined, confidential: socket !== undefined && isConfidential(socket) };
}

/** TLS, or a peer on this host (127.0.0.0/8, ::1, or either mapped into IPv6). */
function isConfidential(socket: PeerSocket): boolean {
  if (socket.encrypted === true) return true;
  const address = socket.remoteAddress ?? "";
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** Context values carrying `record`, for a request's HandlerContext. */
export function callContextValues(record: CallRecord): ContextValues {
  return createContextValues().set(callRecordKey, record);
}

/** The record of the request these context values belong to, if the transport made one. */
export function callRecordOf(values: ContextValues): CallRecord | undefined {
  return values.get(callRecordKey);
}

/** Called by the service when it knows the call's scope: later protocol errors name the same request id. */
export function noteCallScope(values: ContextValues, scope: ErrorScope): void {
  const record = values.get(callRecordKey);
  if (record !== undefined) record.scope = scope;
}

/**
 * Whether the request these context values belong to was confidential (see CallRecord.confidential). A request
 * without a record never crossed a network: it came through an in-process transport.
 */
export function isConfidentialCall(values: ContextValues): boolean {
  return values.get(callRecordKey)?.confidential ?? true;
}
