import { readFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import {
  createServer as createHttp2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerOptions as Http2ServerOptions,
  type ServerHttp2Stream,
} from "node:http2";
import { isIP } from "node:net";
import type { EventHub, LocationRouter } from "@podium-router/core";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createCallerAuth, type CallerAuth } from "./caller-auth.js";
import { createGrpcJsEngine, type GrpcJsEngine } from "./grpc-js-engine.js";
import { createHealthState } from "./health-service.js";
import { createHttpHandler } from "./http-handler.js";
import { createRouterMetrics, type RouterMetrics } from "./metrics.js";
import { createOAuthCallbackHandler, OAUTH_CALLBACK_PATH } from "./oauth-callback.js";
import { createPortListener, type PortListener } from "./port-listener.js";
import { createWebhookReceiver } from "./webhook-receiver.js";
import { createHostedServices } from "./routes.js";
import type { ApiKeyGrant, ServerSettings } from "./server-settings.js";

/** What the server is built from. */
export interface RouterServerDeps {
  /** The routing core; close() closes it too (which flushes the audit log). */
  router: LocationRouter;
  /** The validated `server` section (see validateServerSettings). */
  settings: ServerSettings;
  /** The root logger; see createServerLogger for the redaction it must have. */
  logger: Logger;
  /**
   * The metrics; pass the same object whose `observer` went to createLocationRouter so the core's
   * counters land on this server's /metrics. @default createRouterMetrics(registry)
   */
  metrics?: RouterMetrics | undefined;
  /** The prom-client registry for a default `metrics`. @default a new registry */
  registry?: Registry | undefined;
  /**
   * Inbound events (createEventHub, built with `observer: metrics.events`): the webhook receiver on this port,
   * WatchEvents and SyncWebhooks. close() closes it before the router. @default none: events are not served
   */
  events?: EventHub | undefined;
}

/** Where the server listens. */
export interface ListenAddress {
  url: string;
  port: number;
  host: string;
}

/** The running server; see {@link createRouterServer}. */
export interface RouterServer {
  /** Binds the port (settings.port; 0 picks one) and resolves once it accepts connections. */
  listen(): Promise<ListenAddress>;
  /**
   * Stops accepting, lets in-flight calls finish (up to settings.shutdownGraceMs, then cuts them),
   * closes the router (flushing the audit log). Idempotent.
   */
  close(): Promise<void>;
  /**
   * Replaces the API keys at once (SIGHUP, see hangup.ts): a request authenticates against either the old set or
   * the new one, never a mix; calls already admitted finish. The grants must be validated (validateServerSettings).
   */
  setApiKeys(grants: readonly ApiKeyGrant[]): void;
  /** The names of the API keys in force, for logs. */
  apiKeyNames(): string[];
  readonly metrics: RouterMetrics;
}

// A gRPC request for grpc-js; grpc+json and grpc-web stay on connect-node, which understands them.
function isGrpcProto(contentType: string | undefined): boolean {
  return contentType === "application/grpc" || contentType === "application/grpc+proto" || (contentType?.startsWith("application/grpc;") ?? false);
}

/** Node's default for receiving a whole HTTP/1.1 request (5 minutes); kept unless the header timeout is longer. */
const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/**
 * Builds the router's server: one port serving gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1 and
 * HTTP/2), health, reflection and `GET /metrics`. HTTP/2 streams are dispatched one by one: gRPC
 * (protobuf) to grpc-js, everything else to connect-node, so every protocol works on every
 * connection. Only main.ts reads the environment; this takes everything as arguments.
 */
export function createRouterServer(deps: RouterServerDeps): RouterServer {
  const { router, settings, logger } = deps;
  const metrics = deps.metrics ?? createRouterMetrics(deps.registry);
  // One reference swapped whole by setApiKeys: every check reads either the old keys or the new ones.
  let keys = { auth: createCallerAuth(settings.apiKeys), names: settings.apiKeys.map((k) => k.name) };
  const auth: CallerAuth = { authenticate: (authorization) => keys.auth.authenticate(authorization) };
  const health = createHealthState();
  // Health follows the audit log: NOT_SERVING for writes (or everything, under refuse_all) while it cannot take lines.
  if (router.auditStatus !== undefined) {
    health.setAudit(router.auditStatus().refusing);
    metrics.watchAuditPending(() => router.auditStatus?.().pendingBytes);
  }
  const stopAuditWatch = router.onAuditStatus?.((s) => health.setAudit(s.refusing));
  // Podium's consent redirects to <public_url>/oauth/callback; without public_url, the address listen() binds.
  let publicUrl = settings.publicUrl;
  const redirectUri = (): string | undefined => (publicUrl === undefined ? undefined : `${publicUrl}${OAUTH_CALLBACK_PATH}`);
  const { events } = deps;
  const services = createHostedServices({
    router,
    auth,
    logger,
    health,
    metrics,
    reflection: settings.reflection,
    redirectUri,
    allowCleartextSecrets: settings.allowCleartextSecrets,
    events,
    publicUrl: () => publicUrl,
  });
  const oauthCallback = createOAuthCallbackHandler({ router, logger });
  const webhookReceiver = events === undefined ? undefined : createWebhookReceiver({ events, logger });
  const handler = createHttpHandler({ services, maxRequestBytes: settings.maxRequestBytes, auth, logger, metrics, oauthCallback, webhookReceiver });
  let grpcJs: GrpcJsEngine | undefined;
  if (settings.grpcEngine === "grpc-js") {
    grpcJs = createGrpcJsEngine(services, settings.maxRequestBytes, logger);
    if (grpcJs === undefined) logger.warn("this @grpc/grpc-js has no per-stream entry point; serving gRPC with connect-node");
  }

  let inflight = 0;
  let closing: Promise<void> | undefined;
  let drained: (() => void) | undefined;
  let sessionsGone: (() => void) | undefined;
  const done = (): void => {
    if (--inflight === 0) drained?.();
  };

  const h1 = createHttpServer(
    {
      // Node's own checks only for a request's headers (header_timeout_ms); idle keep-alive connections
      // are closed by the connection tracker (idle_timeout_ms), so Node's 5 s keep-alive timeout is off.
      headersTimeout: settings.headerTimeoutMs,
      requestTimeout: Math.max(DEFAULT_REQUEST_TIMEOUT_MS, settings.headerTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, settings.headerTimeoutMs),
      keepAliveTimeout: 0,
    },
    (req, res) => {
      inflight++;
      res.once("close", done);
      if (closing !== undefined) res.setHeader("connection", "close");
      handler(req, res);
    },
  );
  const h2Options: Http2ServerOptions & { strictFieldWhitespaceValidation?: boolean } = {
    settings: { maxConcurrentStreams: settings.http2MaxConcurrentStreams },
    // Node >= 24.2 can keep header values with spaces around them (RFC 9113 makes them malformed; nghttp2
    // drops such a field by default). HTTP/1.1 strips them, so this is what lets an API key followed by a
    // space be treated alike on both (caller-auth.ts trims). Older Node ignores the option.
    strictFieldWhitespaceValidation: false,
  };
  const h2 = createHttp2Server(h2Options);
  const sessions = new Set<Http2Session>();
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => {
      sessions.delete(session);
      if (sessions.size === 0) sessionsGone?.();
    });
    if (closing !== undefined) session.close();
  });
  h2.on("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    inflight++;
    stream.once("close", done);
    if (grpcJs !== undefined && isGrpcProto(headers["content-type"]) && grpcJs.serves(headers[":path"] ?? "")) {
      grpcJs.handleStream(stream, headers);
      return;
    }
    handler(new Http2ServerRequest(stream, headers, {}, rawHeaders), new Http2ServerResponse(stream));
  });

  let listener: PortListener | undefined;

  async function shutdown(): Promise<void> {
    health.shutdown();
    stopAuditWatch?.();
    listener?.stopAccepting();
    // WatchEvents streams never end on their own: end them now (subscribers resume from their cursor elsewhere).
    events?.endStreams();
    // GOAWAY: clients open no new streams; the ones in flight finish.
    for (const session of sessions) session.close();
    // Closes idle keep-alive connections and stops the HTTP/1.1 timeout checks; the callback's
    // ERR_SERVER_NOT_RUNNING is expected, since h1 never listens itself.
    h1.close(() => {});
    const graceEnds = Date.now() + settings.shutdownGraceMs;
    const until = async (ready: () => boolean, register: (wake: () => void) => void): Promise<boolean> => {
      if (ready()) return true;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        register(resolve);
        timer = setTimeout(resolve, Math.max(0, graceEnds - Date.now()));
      });
      clearTimeout(timer);
      return ready();
    };
    if (!(await until(() => inflight === 0, (wake) => (drained = wake)))) {
      logger.warn({ inflight, grace_ms: settings.shutdownGraceMs }, "shutdown grace period over; cutting in-flight calls");
    }
    // Sessions closed with GOAWAY end on their own once their last frames are written; destroying
    // the sockets first could drop a final response.
    await until(() => sessions.size === 0, (wake) => (sessionsGone = wake));
    listener?.destroyConnections();
    await events?.close();
    await router.close();
    logger.info("router server closed");
  }

  return {
    metrics,
    setApiKeys(grants) {
      keys = { auth: createCallerAuth(grants), names: grants.map((k) => k.name) };
      if (grants.length === 0) logger.warn("no server.api_keys configured: every RPC but health and reflection is refused");
    },
    apiKeyNames: () => [...keys.names],
    async listen() {
      if (listener !== undefined) throw new Error("listen() was already called");
      const tls = settings.tls === undefined ? undefined : { cert: await readFile(settings.tls.certFile), key: await readFile(settings.tls.keyFile) };
      listener = createPortListener({
        h1,
        h2,
        tls,
        onTlsError: (err) => logger.debug({ err: err.message }, "TLS handshake failed"),
        limits: settings,
        metrics: metrics.connections,
      });
      const address = await listener.listen(settings.port, settings.host);
      // h1 never listens itself; "listening" starts its connection tracking (header and request
      // timeouts, closeIdleConnections), which Node sets up on that event.
      h1.emit("listening");
      const scheme = tls === undefined ? "http" : "https";
      const url = `${scheme}://${urlHost(address.address)}:${address.port}`;
      const fields = { url, grpc_engine: grpcJs === undefined ? "connect" : "grpc-js" };
      if (tls !== undefined) logger.info(fields, "listening with TLS (HTTP/2 by ALPN, and HTTP/1.1)");
      else if (isLoopback(address.address)) logger.info(fields, "listening in cleartext on loopback only (h2c and HTTP/1.1); set server.tls to serve other hosts");
      else logger.warn(fields, "listening in CLEARTEXT on a non-loopback address: API keys cross the network unencrypted; set server.tls");
      if (settings.apiKeys.length === 0) logger.warn("no server.api_keys configured: every RPC but health and reflection is refused");
      publicUrl ??= url;
      return { url, port: address.port, host: address.address };
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
