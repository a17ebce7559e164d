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
}

const callRecordKey = createContextKey<CallRecord | undefined>(undefined, { description: "podium-router call record" });

/** A record for a new request. */
export function createCallRecord(): CallRecord {
  return { scope: undefined, reached: false, failure: undefined };
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
