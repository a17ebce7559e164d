// The router server: one port serving LocationRouterService over gRPC, gRPC-Web and Connect.
export { createRouterServer } from "./router-server.js";
export type { ListenAddress, RouterServer, RouterServerDeps } from "./router-server.js";
export { readApiKeys, startRouterServer } from "./start-router-server.js";
export { closeOnSignal } from "./close-on-signal.js";
export { handleHangups, onHangup } from "./hangup.js";
export type { HangupDeps, HangupSource } from "./hangup.js";
export type { CloseOnSignalOptions, SignalSource } from "./close-on-signal.js";
export type { StartedRouterServer, StartRouterServerOptions } from "./start-router-server.js";
export {
  defaultServerSettings,
  DEFAULT_HEADER_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_TIME_MS,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_GRACE_MS,
  grantableRpcs,
  validateServerSettings,
} from "./server-settings.js";
export type { ApiKeyGrant, ServerSettings, ServerTlsSettings } from "./server-settings.js";
export { createCallerAuth, hashApiKey } from "./caller-auth.js";
export type { Caller, CallerAuth } from "./caller-auth.js";
export { connectCodeFor, connectErrorFor, protocolError, protocolFailures, toConnectError } from "./errors.js";
export type { ErrorScope, ProtocolFailure, ProtocolFailureRow } from "./errors.js";
export { createRouterMetrics } from "./metrics.js";
export type { ConnectionMetrics, IdleCloseTrigger, RouterMetrics, RpcMetrics } from "./metrics.js";
export { logRedactCensor, logRedactPaths, logRedaction } from "./log-redaction.js";
export { createServerLogger, logStorage } from "./server-logger.js";
export type { ServerLoggerOptions } from "./server-logger.js";
export { createHostedServices, createRoutes } from "./routes.js";
export type { HostedService, HostedServicesDeps } from "./routes.js";
export { createLocationRouterService } from "./location-router-service.js";
export type { LocationRouterServiceDeps } from "./location-router-service.js";
export { createOAuthCallbackHandler, OAUTH_CALLBACK_PATH } from "./oauth-callback.js";
export type { OAuthCallbackDeps } from "./oauth-callback.js";
