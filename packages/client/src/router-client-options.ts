import type { Interceptor, Transport } from "@connectrpc/connect";
import type { RetryOptions } from "./retry-interceptor.js";

/** The wire protocols the router serves on one port. */
export type RouterProtocol = "grpc" | "connect" | "grpc-web";

/** The protocols, as data, for option checks and CLI flags. */
export const routerProtocols: readonly RouterProtocol[] = ["grpc", "connect", "grpc-web"];

/**
 * Builds the transport the client sends through, given the client's interceptors (API key, retry).
 * Tests pass `(interceptors) => createRouterTransport(routes, { transport: { interceptors } })`.
 */
export type TransportFactory = (interceptors: Interceptor[]) => Transport;

/** Options of `createRouterClient()`. */
export interface RouterClientOptions {
  /**
   * The router's address, e.g. `http://127.0.0.1:8080` or `https://router.example.com`.
   * Ignored when `transport` is given.
   */
  baseUrl?: string;
  /**
   * The API key the router issued to this caller; sent as `authorization: Bearer <key>`.
   * Without one, only health checks succeed.
   */
  apiKey?: string;
  /**
   * The wire protocol. gRPC needs HTTP/2; Connect and gRPC-Web work over both versions.
   * @default "connect"
   */
  protocol?: RouterProtocol;
  /**
   * The HTTP version. HTTP/2 without TLS is sent with prior knowledge (h2c).
   * @default "2" for gRPC, "1.1" for Connect and gRPC-Web (the widest-supported path through proxies)
   */
  httpVersion?: "1.1" | "2";
  /**
   * Retry of RESOURCE_EXHAUSTED refusals that honours the router's retry delay within the call's deadline;
   * `false` turns it off.
   * @default { maxAttempts: 3 } with the other `RetryOptions` defaults
   */
  retry?: Partial<RetryOptions> | false;
  /**
   * A timeout applied to every call that does not pass its own `timeoutMs`, in milliseconds; 0 for none.
   * @default 0
   */
  defaultTimeoutMs?: number;
  /**
   * Extra interceptors, run outside the client's own (they see the request before the API key is set).
   * @default []
   */
  interceptors?: Interceptor[];
  /**
   * Replaces the Node HTTP transport, e.g. with an in-memory router transport in tests.
   * @default a connect-node transport for `protocol` and `httpVersion` on `baseUrl`
   */
  transport?: TransportFactory;
}

/** `RouterClientOptions` after defaults and checks. */
export interface ResolvedRouterClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
  protocol: RouterProtocol;
  httpVersion: "1.1" | "2";
  retry: Partial<RetryOptions> | false;
  defaultTimeoutMs: number;
  interceptors: Interceptor[];
  transport: TransportFactory | undefined;
}

/**
 * Applies the defaults of `RouterClientOptions` in one place and checks each option, naming it and the rule.
 * @internal
 */
export function withDefaults(options: RouterClientOptions): ResolvedRouterClientOptions {
  const protocol = options.protocol ?? "connect";
  if (!routerProtocols.includes(protocol)) {
    throw new TypeError(`protocol must be one of ${routerProtocols.join(", ")}; got "${String(protocol)}"`);
  }
  const httpVersion = options.httpVersion ?? (protocol === "grpc" ? "2" : "1.1");
  if (httpVersion !== "1.1" && httpVersion !== "2") {
    throw new TypeError(`httpVersion must be "1.1" or "2"; got "${String(httpVersion)}"`);
  }
  if (protocol === "grpc" && httpVersion !== "2") {
    // gRPC carries its status in HTTP trailers, which only HTTP/2 delivers reliably.
    throw new TypeError(`httpVersion must be "2" for protocol "grpc"`);
  }
  const baseUrl = options.baseUrl ?? "";
  if (options.transport === undefined) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL; got "${baseUrl}"`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`baseUrl must be an absolute http(s) URL; got "${baseUrl}"`);
    }
  }
  if (options.apiKey !== undefined && !/^[\x21-\x7e]+$/.test(options.apiKey)) {
    // Never echo the key itself: it is a secret.
    throw new TypeError("apiKey must be non-empty printable ASCII without spaces");
  }
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 0;
  if (!Number.isFinite(defaultTimeoutMs) || defaultTimeoutMs < 0) {
    throw new TypeError(`defaultTimeoutMs must be a number >= 0; got ${defaultTimeoutMs}`);
  }
  return {
    baseUrl,
    apiKey: options.apiKey,
    protocol,
    httpVersion,
    retry: options.retry ?? {},
    defaultTimeoutMs,
    interceptors: options.interceptors ?? [],
    transport: options.transport,
  };
}
