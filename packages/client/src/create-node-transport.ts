import * as http from "node:http";
import * as https from "node:https";
import type { Interceptor, Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { ResolvedRouterClientOptions } from "./router-client-options.js";

/** A transport plus the connections it holds, so `RouterClient.close()` can release them. */
export interface OwnedTransport {
  transport: Transport;
  /** Closes the client's HTTP/2 session or HTTP/1.1 keep-alive sockets. */
  close(): void;
}

/**
 * Creates the connect-node transport for the chosen protocol and HTTP version. The client owns its
 * connections (one HTTP/2 session, or one keep-alive agent) instead of sharing Node's global ones, so a
 * closed client leaves nothing that keeps the process alive.
 * @internal
 */
export function createNodeTransport(options: ResolvedRouterClientOptions, interceptors: Interceptor[]): OwnedTransport {
  const common = {
    baseUrl: options.baseUrl,
    interceptors,
    ...(options.defaultTimeoutMs > 0 ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
  };
  if (options.httpVersion === "2") {
    const sessionManager = new Http2SessionManager(options.baseUrl);
    const h2 = { ...common, httpVersion: "2" as const, sessionManager };
    const transport =
      options.protocol === "grpc"
        ? createGrpcTransport(h2)
        : options.protocol === "grpc-web"
          ? createGrpcWebTransport(h2)
          : createConnectTransport(h2);
    return { transport, close: () => sessionManager.abort() };
  }
  const agent = new URL(options.baseUrl).protocol === "https:" ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const h1 = { ...common, httpVersion: "1.1" as const, nodeOptions: { agent } };
  const transport = options.protocol === "grpc-web" ? createGrpcWebTransport(h1) : createConnectTransport(h1);
  return { transport, close: () => agent.destroy() };
}
