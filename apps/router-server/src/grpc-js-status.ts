import { Code, ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { Metadata, ServerInterceptingCall, status as GrpcStatus, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import { toConnectError } from "./errors.js";

/** The trailer that carries a google.rpc.Status with the error details, binary. */
export const DETAILS_BIN = "grpc-status-details-bin";

/** A thrown ConnectError as grpc-js's status object: same code, message and `grpc-status-details-bin`. */
export function grpcStatusFrom(err: unknown): StatusObject {
  const connectErr = toConnectError(err);
  const trailer = new Headers();
  setTrailerStatus(trailer, connectErr);
  const metadata = new Metadata();
  const details = trailer.get(DETAILS_BIN);
  if (details !== null) metadata.set(DETAILS_BIN, Buffer.from(details, "base64"));
  return { code: connectErr.code as number, details: connectErr.rawMessage, metadata };
}

/**
 * Adds the ErrorDetail to statuses grpc-js raises by itself (deadline passed, message too large),
 * so both engines answer every error with the same details.
 */
export const detailsInterceptor: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    sendStatus(status, next) {
      if (status.code === GrpcStatus.OK || (status.metadata?.get(DETAILS_BIN).length ?? 0) > 0) return next(status);
      const { metadata } = grpcStatusFrom(new ConnectError(status.details ?? "", status.code as number as Code));
      if (status.metadata) metadata.merge(status.metadata);
      next({ ...status, metadata });
    },
  });
