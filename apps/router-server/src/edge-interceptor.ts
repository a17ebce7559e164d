import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { callRecordOf, type CallRecord } from "./call-record.js";
import { hasErrorDetail, protocolError, toConnectError, type ErrorScope } from "./errors.js";

/**
 * connect-node's interceptor in front of every hosted service. It marks the request as having reached a
 * service (http-handler.ts needs to know that), turns a request message of a stream that fails to
 * decode into the typed refusal, and passes every error an implementation throws through
 * toConnectError, so health and reflection answer with an ErrorDetail like the router service does.
 */
export const edgeInterceptor: Interceptor = (next) => async (req) => {
  const record = callRecordOf(req.contextValues);
  if (record !== undefined) record.reached = true;
  try {
    const res = await next(req.stream ? { ...req, message: decodedOrRefused(req.message, record) } : req);
    return res.stream ? { ...res, message: typedErrors(res.message, record) } : res;
  } catch (e) {
    throw toConnectError(e, scopeOf(record));
  }
};

function scopeOf(record: CallRecord | undefined): ErrorScope {
  return record?.scope ?? {};
}

/**
 * connect-node decodes each message of a stream inside this iteration. The server's own checks of the
 * frames (protocol-guard.ts) throw typed errors, and a caller going away is no refusal; any other
 * failure here is a message that does not decode.
 */
async function* decodedOrRefused<T>(messages: AsyncIterable<T>, record: CallRecord | undefined): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (e) {
    if (e instanceof ConnectError && (hasErrorDetail(e) || e.code === Code.Canceled || e.code === Code.Aborted)) throw e;
    throw protocolError("undecodable_message", scopeOf(record));
  }
}

async function* typedErrors<T>(messages: AsyncIterable<T>, record: CallRecord | undefined): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (e) {
    throw toConnectError(e, scopeOf(record));
  }
}
