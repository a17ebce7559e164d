import type { OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { constants } from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import type { CallRecord } from "./call-record.js";
import { grpcJsFailure, protocolError, toConnectError, type ErrorScope } from "./errors.js";
import { GRPC_ACCEPT_ENCODING } from "./protocol-guard.js";

/** The trailer that carries a google.rpc.Status with the error details, binary. */
export const DETAILS_BIN = "grpc-status-details-bin";

/** A thrown error as grpc-js's status object: the code, message and `grpc-status-details-bin` toConnectError gives it. */
export function grpcStatusFrom(err: unknown, scope?: ErrorScope): StatusObject {
  const connectErr = toConnectError(err, scope);
  const trailer = new Headers();
  setTrailerStatus(trailer, connectErr);
  const metadata = new Metadata();
  const details = trailer.get(DETAILS_BIN);
  if (details !== null) metadata.set(DETAILS_BIN, Buffer.from(details, "base64"));
  return { code: connectErr.code as number, details: connectErr.rawMessage, metadata };
}

/** The gRPC status headers of a ConnectError: grpc-status, grpc-message, grpc-status-details-bin. */
function statusHeaders(err: ConnectError): Record<string, string> {
  const trailer = new Headers();
  setTrailerStatus(trailer, err);
  const headers: Record<string, string> = {};
  trailer.forEach((value, key) => (headers[key] = value));
  return headers;
}

/** Answers a gRPC stream grpc-js never saw with a trailers-only error, then closes it. */
export function respondWithError(stream: ServerHttp2Stream, err: ConnectError): void {
  if (!stream.headersSent && !stream.destroyed) {
    stream.respond({ ":status": 200, "content-type": "application/grpc+proto", "grpc-accept-encoding": GRPC_ACCEPT_ENCODING, ...statusHeaders(err) }, { endStream: true });
  }
  // Closed synchronously: grpc-js, reading the same chunk next, sees the stream closed and stops.
  stream.close(constants.NGHTTP2_NO_ERROR);
}

function decodedMessage(value: OutgoingHttpHeaders[string]): string {
  try {
    return decodeURIComponent(String(value ?? ""));
  } catch {
    return "";
  }
}

/**
 * The one place a gRPC status leaves the grpc-js engine. Statuses grpc-js sends by itself (its deadline
 * timer, a decompression failure, a wrong message count) bypass every interceptor and carry no
 * ErrorDetail; they are recognised by that, mapped with the protocolFailures table (a client fault
 * is never INTERNAL) and given the call's scope, so a deadline names the request id the call's audit
 * line has. `grpc-accept-encoding` lists only what the server accepts.
 */
function typedStatus(headers: OutgoingHttpHeaders | undefined, record: CallRecord): OutgoingHttpHeaders | undefined {
  if (headers === undefined) return headers;
  let out = headers;
  if (out["grpc-accept-encoding"] !== undefined) out = { ...out, "grpc-accept-encoding": GRPC_ACCEPT_ENCODING };
  const status = out["grpc-status"];
  if (status === undefined || Number(status) === 0 || out[DETAILS_BIN] !== undefined) return out;
  const err = protocolError(grpcJsFailure(Number(status), decodedMessage(out["grpc-message"])), record.scope ?? {});
  record.failure ??= err;
  return { ...out, ...statusHeaders(err) };
}

/** Routes every status grpc-js writes on `stream` (trailers-only or trailers) through {@link typedStatus}. */
export function typeStatusesOf(stream: ServerHttp2Stream, record: CallRecord): void {
  const respond = stream.respond;
  stream.respond = function (this: ServerHttp2Stream, headers, options) {
    return respond.call(this, typedStatus(headers, record), options);
  };
  const sendTrailers = stream.sendTrailers;
  stream.sendTrailers = function (this: ServerHttp2Stream, headers) {
    return sendTrailers.call(this, typedStatus(headers, record) ?? {});
  };
}
