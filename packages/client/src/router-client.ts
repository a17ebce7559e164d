import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import type { CallOptions, Interceptor } from "@connectrpc/connect";
import { healthV1, LocationRouterService } from "@podium-router/proto";
import type {
  AwaitAuthorizationRequestSchema,
  AwaitAuthorizationResponse,
  BeginAuthorizationRequestSchema,
  BeginAuthorizationResponse,
  CallRequestSchema,
  CallResponse,
  GetLocationStatusRequestSchema,
  GetLocationStatusResponse,
  ListLocationsRequestSchema,
  ListLocationsResponse,
  OnboardLocationsRequestSchema,
  OnboardLocationsResponse,
  QueryAuditRequestSchema,
  QueryAuditResponse,
  RemoveLocationRequestSchema,
  RemoveLocationResponse,
  SyncWebhooksRequestSchema,
  SyncWebhooksResponse,
  VerifyLocationRequestSchema,
  VerifyLocationResponse,
  WatchEventsRequestSchema,
  WatchEventsResponse,
} from "@podium-router/proto";
import { createAuthInterceptor } from "./auth-interceptor.js";
import { createNodeTransport } from "./create-node-transport.js";
import { errorFromWire } from "./error-from-wire.js";
import { createLocationHandle } from "./location-handle.js";
import type { LocationHandle } from "./location-handle.js";
import { createRetryInterceptor } from "./retry-interceptor.js";
import { withDefaults } from "./router-client-options.js";
import type { RouterClientOptions } from "./router-client-options.js";

/** What the router's health service says: SERVING, or NOT_SERVING while it shuts down. */
export type HealthStatus = "SERVING" | "NOT_SERVING" | "UNKNOWN" | "SERVICE_UNKNOWN";

/**
 * A typed client of the router's `LocationRouterService`. Every method throws the core's typed errors,
 * rebuilt from the wire reason (`err.code === "ERR_LOC_UNKNOWN"`, `err.locationUid`, `err.retryAfterMs`).
 */
export interface RouterClient {
  /** Forwards one Podium API call for one location. Prefer `location(uid).call(...)`. */
  call(request: MessageInitShape<typeof CallRequestSchema>, options?: CallOptions): Promise<CallResponse>;
  /** Checks that a location is in its credential's scope. */
  verifyLocation(request: MessageInitShape<typeof VerifyLocationRequestSchema>, options?: CallOptions): Promise<VerifyLocationResponse>;
  /** Lists the registered locations, optionally of one organization. */
  listLocations(request?: MessageInitShape<typeof ListLocationsRequestSchema>, options?: CallOptions): Promise<ListLocationsResponse>;
  /** Reports one location's verification, budget and auth state. */
  getLocationStatus(request: MessageInitShape<typeof GetLocationStatusRequestSchema>, options?: CallOptions): Promise<GetLocationStatusResponse>;
  /** Removes a location from the router's store and live routing. */
  removeLocation(request: MessageInitShape<typeof RemoveLocationRequestSchema>, options?: CallOptions): Promise<RemoveLocationResponse>;
  /** Onboards locations; yields one result per location as each finishes. */
  onboardLocations(request: MessageInitShape<typeof OnboardLocationsRequestSchema>, options?: CallOptions): AsyncIterable<OnboardLocationsResponse>;
  /** Streams the audit records matching the filters, oldest first. */
  queryAudit(request: MessageInitShape<typeof QueryAuditRequestSchema>, options?: CallOptions): AsyncIterable<QueryAuditResponse>;
  /**
   * Starts onboarding one location by consent: returns Podium's authorize URL (open it in a browser) and the
   * single-use state to pass to `awaitAuthorization`.
   */
  beginAuthorization(request: MessageInitShape<typeof BeginAuthorizationRequestSchema>, options?: CallOptions): Promise<BeginAuthorizationResponse>;
  /**
   * Waits until Podium redirects the consent back to the router and returns the onboarding result. Give it a
   * `timeoutMs` up to the state's `expiresAt`; it fails with ERR_LOC_DEADLINE_EXCEEDED when that passes first.
   */
  awaitAuthorization(request: MessageInitShape<typeof AwaitAuthorizationRequestSchema>, options?: CallOptions): Promise<AwaitAuthorizationResponse>;
  /**
   * Streams one location's Podium events after a cursor, in order, then as they arrive; one stream, no
   * reconnection (`location(uid).events()` reconnects from the last cursor).
   */
  watchEvents(request: MessageInitShape<typeof WatchEventsRequestSchema>, options?: CallOptions): AsyncIterable<WatchEventsResponse>;
  /** Creates or repairs the Podium webhooks of these locations (every location when none is named); one result each. */
  syncWebhooks(request?: MessageInitShape<typeof SyncWebhooksRequestSchema>, options?: CallOptions): AsyncIterable<SyncWebhooksResponse>;
  /**
   * The router's `grpc.health.v1.Health` answer for `service` ("" = the server): "SERVING", or "NOT_SERVING" while it
   * shuts down. Needs no API key.
   */
  health(service?: string, options?: CallOptions): Promise<HealthStatus>;
  /** A handle bound to one location uid: `.call()`, `.verify()`, `.status()`, `.remove()`, `.events()`. */
  location(locationUid: string): LocationHandle;
  /** Closes the client's connections. Calls made afterwards open new ones. */
  close(): Promise<void>;
}

/**
 * Creates a client of the router at `baseUrl`, authenticated with `apiKey` and speaking `protocol`.
 *
 * ```ts
 * const client = createRouterClient({ baseUrl: "http://127.0.0.1:8080", apiKey, protocol: "grpc" });
 * const res = await client.location(uid).call("GET", "/v4/contacts?limit=10");
 * ```
 */
export function createRouterClient(options: RouterClientOptions): RouterClient {
  const o = withDefaults(options);
  // Connect applies the last interceptor innermost: the caller's run once per call, the retry loop wraps
  // the auth interceptor, so every attempt carries the API key.
  const interceptors: Interceptor[] = [...o.interceptors];
  if (o.retry !== false) interceptors.push(createRetryInterceptor(o.retry));
  if (o.apiKey !== undefined) interceptors.push(createAuthInterceptor(o.apiKey));
  const owned = o.transport === undefined ? createNodeTransport(o, interceptors) : { transport: o.transport(interceptors), close() {} };
  const rpc = createClient(LocationRouterService, owned.transport);
  const health = createClient(healthV1.Health, owned.transport);

  const client: RouterClient = {
    call: (req, opts) => unary(() => rpc.call(req, opts)),
    verifyLocation: (req, opts) => unary(() => rpc.verifyLocation(req, opts)),
    listLocations: (req = {}, opts) => unary(() => rpc.listLocations(req, opts)),
    getLocationStatus: (req, opts) => unary(() => rpc.getLocationStatus(req, opts)),
    removeLocation: (req, opts) => unary(() => rpc.removeLocation(req, opts)),
    onboardLocations: (req, opts) => streamed(() => rpc.onboardLocations(req, opts)),
    queryAudit: (req, opts) => streamed(() => rpc.queryAudit(req, opts)),
    beginAuthorization: (req, opts) => unary(() => rpc.beginAuthorization(req, opts)),
    awaitAuthorization: (req, opts) => unary(() => rpc.awaitAuthorization(req, opts)),
    health: async (service = "", opts) => {
      const res = await unary(() => health.check({ service }, opts));
      return (healthV1.HealthCheckResponse_ServingStatus[res.status] ?? "UNKNOWN") as HealthStatus;
    },
    watchEvents: (req, opts) => streamed(() => rpc.watchEvents(req, opts)),
    syncWebhooks: (req = {}, opts) => streamed(() => rpc.syncWebhooks(req, opts)),
    location: (locationUid) => createLocationHandle(client, locationUid),
    async close() {
      owned.close();
    },
  };
  return client;
}

async function unary<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw errorFromWire(err);
  }
}

async function* streamed<T>(open: () => AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* open();
  } catch (err) {
    throw errorFromWire(err);
  }
}
