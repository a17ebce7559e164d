import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { codeToHttpStatus, createEndStreamSerialization, endStreamFlag, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { encodeEnvelope, type UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import { callContextValues, createCallRecord } from "./call-record.js";
import type { CallerAuth } from "./caller-auth.js";
import { edgeInterceptor } from "./edge-interceptor.js";
import { connectErrorFor, protocolError } from "./errors.js";
import type { RouterMetrics } from "./metrics.js";
import { OAUTH_CALLBACK_PATH } from "./oauth-callback.js";
import { WEBHOOK_PATH_PREFIX } from "@podium-router/core";
import { checkRequestHeaders, encodingHeaderOf, guardBody, logProtocolRefusal, wireProtocolOf } from "./protocol-guard.js";
import { createRoutes, type HostedService } from "./routes.js";
import { quoteValue } from "./wire-text.js";

/** A Node request of either HTTP version. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
/** A Node response of either HTTP version. */
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** The handler the HTTP/1.1 server and the HTTP/2 dispatcher call. */
export type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/** What {@link createHttpHandler} needs. */
export interface HttpHandlerOptions {
  services: readonly HostedService[];
  maxRequestBytes: number;
  auth: CallerAuth;
  logger: Logger;
  metrics: RouterMetrics;
  /** Serves `GET /oauth/callback` (onboarding by consent), open without an API key. @default none: the path is unknown */
  oauthCallback?: NodeHandler | undefined;
  /** Serves `POST /podium/webhooks/{subscription}` (Podium's webhooks), authenticated by signature. @default none: unknown */
  webhookReceiver?: NodeHandler | undefined;
}

/**
 * The connect-node side of the port: Connect, gRPC-Web and (when grpc-js does not take it) gRPC, plus
 * `GET /metrics`. It is connect-node's adapter with the server's own protocol checks in front
 * (protocol-guard.ts: size, timeout and encoding headers, frames, decompression) and one error path
 * behind: every refusal, connect-node's own included, carries the ErrorDetail and a bounded message.
 */
export function createHttpHandler(opts: HttpHandlerOptions): NodeHandler {
  const { maxRequestBytes, auth, logger, metrics } = opts;
  const router = createConnectRouter({
    // A backstop: protocol-guard.ts enforces the limit before connect-node reads anything.
    readMaxBytes: maxRequestBytes,
    // For responses only: requests are decompressed by protocol-guard.ts, which strips the encoding header.
    acceptCompression: [compressionGzip, compressionBrotli],
    interceptors: [edgeInterceptor],
  });
  createRoutes(opts.services)(router);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));

  return function handleRequest(req, res) {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const handler = handlers.get(path);
    const refuse = (err: ConnectError, protocol: string = "http"): void => {
      logProtocolRefusal(logger, err, protocol);
      writeError(req, res, err);
    };
    if (handler === undefined) {
      if (path === "/metrics" && req.method === "GET") return void serveMetrics(req, res, auth, metrics, logger);
      if (path === OAUTH_CALLBACK_PATH && opts.oauthCallback !== undefined) return opts.oauthCallback(req, res);
      if (path.startsWith(WEBHOOK_PATH_PREFIX) && opts.webhookReceiver !== undefined) return opts.webhookReceiver(req, res);
      return refuse(protocolError("unknown_rpc", {}, quoteValue(path)));
    }
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > maxRequestBytes) return refuse(protocolError("request_too_large", {}, `${maxRequestBytes} bytes`));
    const protocol = wireProtocolOf(req.method, req.headers["content-type"], handler.method.methodKind);
    let compression;
    try {
      compression = protocol === undefined ? undefined : checkRequestHeaders(protocol, req.headers).compression;
    } catch (e) {
      return refuse(e as ConnectError, protocol);
    }
    const record = createCallRecord(req.socket);
    let uReq;
    try {
      uReq = universalRequestFromNodeRequest(req, res, undefined, callContextValues(record));
    } catch {
      // An HTTP/1.0 request without a Host header: connect-node cannot build the URL. Never throw
      // from a request listener; that would take the process down.
      return refuse(protocolError("no_host"));
    }
    const rawBody = uReq.body as AsyncIterable<Uint8Array>;
    let body: AsyncIterable<Uint8Array>;
    if (protocol === undefined) {
      // connect-node answers these itself (405, 415) without reading a message; the limit still holds.
      body = limitBytes(rawBody, maxRequestBytes, () => protocolError("request_too_large", {}, `${maxRequestBytes} bytes`));
    } else {
      // The guard hands connect-node identity messages, so the encoding (and a compressed length) must go.
      uReq.header.delete(encodingHeaderOf(protocol));
      if (compression !== undefined && protocol === "connect") uReq.header.delete("content-length");
      const singleMessage = handler.method.methodKind === "unary" || handler.method.methodKind === "server_streaming";
      body = guardBody(rawBody, { protocol, maxBytes: maxRequestBytes, singleMessage, compression, onRefusal: (err) => (record.failure = err) });
    }
    handler({ ...uReq, body })
      .then((uRes) => {
        if (record.failure !== undefined) logProtocolRefusal(logger, record.failure, protocol ?? "http");
        // connect-node failed before any service saw the request, and the server's own checks passed
        // every frame: what is left is a message that does not decode, which connect-node answers
        // without an ErrorDetail (binary: as INTERNAL). A bare 405/415/505 has no content type.
        if (protocol !== undefined && !record.reached && record.failure === undefined && new Headers(uRes.header).has("content-type") && !uReq.signal.aborted) {
          return refuse(protocolError("undecodable_message", {}, handler.method.input.typeName), protocol);
        }
        return universalResponseToNodeResponse(uRes, res);
      })
      .catch((reason: unknown) => {
        // The client went away mid-response: nothing to answer, nothing to log above debug.
        if (ConnectError.from(reason).code === Code.Aborted || ConnectError.from(reason).code === Code.Canceled) return;
        logger.warn({ err: reason, rpc: handler.method.name }, "writing the response failed");
      });
  };
}

/** Counts body bytes as they stream in and fails the read once they pass the limit. */
async function* limitBytes(body: AsyncIterable<Uint8Array>, max: number, error: () => Error): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw error();
    yield chunk;
  }
}

const endStream = createEndStreamSerialization({});

/**
 * Answers an error without connect-node, in the protocol the request used: gRPC and gRPC-Web as a
 * trailers-only response (status in the headers), Connect streaming as an end-stream message, and
 * Connect unary (and anything else) as the Connect JSON error with the matching HTTP status. The
 * error's metadata (an UNIMPLEMENTED encoding names the accepted ones) goes out as headers.
 */
export function writeError(req: NodeRequest, res: NodeResponse, err: ConnectError): void {
  const contentType = req.headers["content-type"] ?? "";
  const headers: Record<string, string> = {};
  err.metadata.forEach((value, key) => (headers[key] = value));
  if (contentType.startsWith("application/grpc")) {
    const trailer = new Headers();
    setTrailerStatus(trailer, err);
    trailer.forEach((value, key) => (headers[key] = value));
    headers["content-type"] = contentType.startsWith("application/grpc-web") ? "application/grpc-web+proto" : "application/grpc+proto";
    res.writeHead(200, headers);
    res.end();
    return;
  }
  // An HTTP/1.1 body we refuse to read must not be left in the connection for the next request.
  if (!("stream" in req)) headers["connection"] = "close";
  if (contentType.startsWith("application/connect+")) {
    headers["content-type"] = contentType.startsWith("application/connect+proto") ? "application/connect+proto" : "application/connect+json";
    res.writeHead(200, headers);
    res.end(Buffer.from(encodeEnvelope(endStreamFlag, endStream.serialize({ metadata: new Headers(), error: err }))));
    return;
  }
  const body = errorToJsonBytes(err, {});
  headers["content-type"] = "application/json";
  res.writeHead(codeToHttpStatus(err.code), headers);
  res.end(Buffer.from(body));
}

async function serveMetrics(req: NodeRequest, res: NodeResponse, auth: CallerAuth, metrics: RouterMetrics, logger: Logger): Promise<void> {
  // Any valid API key may scrape: metrics carry no location uid, caller name or secret.
  if (auth.authenticate(req.headers.authorization) === undefined) {
    return writeError(req, res, connectErrorFor(Code.Unauthenticated, "ERR_LOC_UNAUTHENTICATED", "GET /metrics needs `authorization: Bearer <key>`"));
  }
  try {
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { "content-type": contentType });
    res.end(body);
  } catch (err) {
    logger.error({ err }, "rendering metrics failed");
    res.writeHead(500);
    res.end();
  }
}
