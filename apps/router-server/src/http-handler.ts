import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError, createConnectRouter } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import type { CallerAuth } from "./caller-auth.js";
import { connectErrorFor } from "./errors.js";
import type { RouterMetrics } from "./metrics.js";
import { OAUTH_CALLBACK_PATH } from "./oauth-callback.js";
import { createRoutes, type HostedService } from "./routes.js";

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
}

/**
 * The connect-node side of the port: Connect, gRPC-Web and (when grpc-js does not take it) gRPC, plus
 * `GET /metrics`. It is connect-node's adapter with three additions: the request size limit is
 * enforced before connect-node reads the body, unknown paths answer UNIMPLEMENTED in the caller's
 * protocol, and both carry the ErrorDetail every other error carries.
 */
export function createHttpHandler(opts: HttpHandlerOptions): NodeHandler {
  const { maxRequestBytes, auth, logger, metrics } = opts;
  const router = createConnectRouter({
    // A backstop for compressed bodies, which the byte count below sees before decompression.
    readMaxBytes: maxRequestBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  createRoutes(opts.services)(router);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((h) => [h.requestPath, h]));
  const tooLarge = (): ConnectError =>
    connectErrorFor(Code.ResourceExhausted, "ERR_LOC_BAD_REQUEST", `request body exceeds server.max_request_bytes (${maxRequestBytes} bytes)`);

  return function handleRequest(req, res) {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const handler = handlers.get(path);
    if (handler === undefined) {
      if (path === "/metrics" && req.method === "GET") return void serveMetrics(req, res, auth, metrics, logger);
      if (path === OAUTH_CALLBACK_PATH && opts.oauthCallback !== undefined) return opts.oauthCallback(req, res);
      return writeError(req, res, connectErrorFor(Code.Unimplemented, "ERR_LOC_BAD_REQUEST", `unknown RPC ${JSON.stringify(path.slice(0, 200))}`));
    }
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > maxRequestBytes) return writeError(req, res, tooLarge());
    let uReq;
    try {
      uReq = universalRequestFromNodeRequest(req, res, undefined, undefined);
    } catch {
      // An HTTP/1.0 request without a Host header: connect-node cannot build the URL. Never throw
      // from a request listener; that would take the process down.
      return writeError(req, res, connectErrorFor(Code.InvalidArgument, "ERR_LOC_BAD_REQUEST", "the request has no Host header"));
    }
    const body = limitBytes(uReq.body as AsyncIterable<Uint8Array>, maxRequestBytes, tooLarge);
    handler({ ...uReq, body })
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
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

/**
 * Answers an error before connect-node is involved, in the protocol the request used: gRPC and
 * gRPC-Web as a trailers-only response (status in the headers), Connect (and anything else) as the
 * Connect JSON error with the matching HTTP status.
 */
export function writeError(req: NodeRequest, res: NodeResponse, err: ConnectError): void {
  const contentType = req.headers["content-type"] ?? "";
  const headers: Record<string, string> = {};
  if (contentType.startsWith("application/grpc")) {
    const trailer = new Headers();
    setTrailerStatus(trailer, err);
    trailer.forEach((value, key) => (headers[key] = value));
    headers["content-type"] = contentType.startsWith("application/grpc-web") ? "application/grpc-web+proto" : "application/grpc+proto";
    res.writeHead(200, headers);
    res.end();
    return;
  }
  const body = errorToJsonBytes(err, {});
  headers["content-type"] = "application/json";
  // An HTTP/1.1 body we refuse to read must not be left in the connection for the next request.
  if (!("stream" in req)) headers["connection"] = "close";
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
