import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import type { ConnectRouter, HandlerContext, ServiceImpl, Transport, Interceptor } from "@connectrpc/connect";
import {
  AuditRecordSchema,
  AuthState,
  ErrorDetailSchema,
  LocationRouterService,
  LocationState,
  OnboardingOutcome,
  RetryInfoSchema,
  VerificationState,
  WebhookScope,
  WebhookSyncOutcome,
} from "@podium-router/proto";
import type { CallRequest, EventsStatusSchema } from "@podium-router/proto";

/** A location the fake router knows. */
export interface FakeLocation {
  locationUid: string;
  orgSlug: string;
  /** @default "active" */
  state?: "active" | "deleted";
  /** False makes verification fail with ERR_LOC_NOT_IN_SCOPE. @default true */
  inScope?: boolean;
  /** Podium's name of the location. @default "" */
  name?: string;
  /** Podium's organization uid. @default "" */
  organizationUid?: string;
}

/** One audit record of the fake: the wire's AuditRecord, with `ts` as ISO 8601 text so fixtures read easily. */
export type FakeAuditRecord = Omit<MessageInitShape<typeof AuditRecordSchema>, "$typeName" | "ts"> & { ts: string };

/** Options of `createFakeRouter()`. */
export interface FakeRouterOptions {
  /** When set, every RPC needs `authorization: Bearer <apiKey>`, as the real server's. */
  apiKey?: string;
  locations?: FakeLocation[];
  audit?: FakeAuditRecord[];
  /** Answers `Call` for known, active locations. @default 200 `{"data":{}}` (202 for POST) */
  onCall?: (req: CallRequest, ctx: HandlerContext) => { status: number; body?: string; headers?: Record<string, string> } | Promise<{ status: number; body?: string; headers?: Record<string, string> }>;
  /** Onboarding of these uids fails with ERR_LOC_NOT_IN_SCOPE. */
  failOnboarding?: string[];
  /**
   * The events WatchEvents serves: each location's, in cursor order ("1", "2", …). A stream sends those after the
   * request's cursor and then ends (the real one stays open), so a client's resumption can be tested.
   */
  events?: Record<string, Array<{ eventType: string; body: string }>>;
  /** The `events` part of GetLocationStatus, per location uid. @default unset (a router without events) */
  eventsStatus?: Record<string, MessageInitShape<typeof EventsStatusSchema>>;
}

/** An in-memory stand-in for the router, speaking the real contract and the real wire errors. */
export interface FakeRouter {
  /** The service implementation. */
  readonly service: ServiceImpl<typeof LocationRouterService>;
  /** Registers the service on a Connect router (for `createRouterTransport` or `connectNodeAdapter`). */
  routes(router: ConnectRouter): void;
  /** A transport factory for `createRouterClient({ transport })`. */
  transport(interceptors: Interceptor[]): Transport;
  /** The locations now registered, by uid. */
  readonly locations: Map<string, FakeLocation>;
  /** Every RPC received, in order: its name and the request headers. */
  readonly received: { method: string; header: Headers }[];
}

/** Connect codes of the fake; the real server keeps its own table. */
const codeForReason: Record<string, Code> = {
  ERR_LOC_UNKNOWN: Code.NotFound,
  ERR_LOC_NOT_IN_SCOPE: Code.PermissionDenied,
  ERR_LOC_DELETED: Code.NotFound,
  ERR_LOC_RATE_LIMITED: Code.ResourceExhausted,
  ERR_LOC_UNAUTHENTICATED: Code.Unauthenticated,
  ERR_LOC_BAD_REQUEST: Code.InvalidArgument,
};

/**
 * Builds a ConnectError as the router sends it: an `ErrorDetail` with the reason, and a `RetryInfo` when
 * `retryAfterMs` is given.
 */
export function wireError(reason: string, message: string, ctx: { locationUid?: string; requestId?: string; retryAfterMs?: number; code?: Code } = {}): ConnectError {
  const details: ConstructorParameters<typeof ConnectError>[3] = [
    { desc: ErrorDetailSchema, value: { reason, locationUid: ctx.locationUid ?? "", requestId: ctx.requestId ?? "" } },
  ];
  if (ctx.retryAfterMs !== undefined) {
    const seconds = Math.floor(ctx.retryAfterMs / 1000);
    details.push({ desc: RetryInfoSchema, value: { retryDelay: { seconds: BigInt(seconds), nanos: (ctx.retryAfterMs - seconds * 1000) * 1_000_000 } } });
  }
  return new ConnectError(message, ctx.code ?? codeForReason[reason] ?? Code.Internal, undefined, details);
}

/** Creates a fake router for client and CLI tests. */
export function createFakeRouter(options: FakeRouterOptions = {}): FakeRouter {
  const locations = new Map((options.locations ?? []).map((l) => [l.locationUid, { ...l }]));
  const audit = options.audit ?? [];
  const received: FakeRouter["received"] = [];
  const failOnboarding = new Set(options.failOnboarding ?? []);
  const verifiedAt = timestampFromMs(Date.UTC(2026, 0, 1));
  const consents = new Map<string, { locationUid: string; orgSlug: string }>();

  const seen = (method: string, ctx: HandlerContext): void => {
    received.push({ method, header: new Headers(ctx.requestHeader) });
    if (options.apiKey !== undefined && ctx.requestHeader.get("authorization") !== `Bearer ${options.apiKey}`) {
      throw wireError("ERR_LOC_UNAUTHENTICATED", "missing or invalid API key");
    }
  };
  const known = (uid: string): FakeLocation => {
    const loc = locations.get(uid);
    if (loc === undefined) throw wireError("ERR_LOC_UNKNOWN", `location ${uid} is not registered; onboard it first`, { locationUid: uid });
    return loc;
  };

  const service: ServiceImpl<typeof LocationRouterService> = {
    async call(req, ctx) {
      seen("Call", ctx);
      const loc = known(req.locationUid);
      if (loc.state === "deleted") throw wireError("ERR_LOC_DELETED", "location deleted in Podium", { locationUid: req.locationUid });
      const requestId = req.requestId || "req-fake-1";
      const answer = options.onCall ? await options.onCall(req, ctx) : { status: req.method === "POST" ? 202 : 200, body: '{"data":{}}' };
      return { status: answer.status, body: answer.body ?? "", headers: answer.headers ?? {}, requestId, latencyMs: 1.5 };
    },
    async verifyLocation(req, ctx) {
      seen("VerifyLocation", ctx);
      const loc = known(req.locationUid);
      if (loc.state === "deleted") throw wireError("ERR_LOC_DELETED", "location deleted in Podium", { locationUid: req.locationUid });
      if (loc.inScope === false) throw wireError("ERR_LOC_NOT_IN_SCOPE", "absent from GET /v4/locations for this credential", { locationUid: req.locationUid });
      return { locationUid: loc.locationUid, orgSlug: loc.orgSlug, state: VerificationState.VERIFIED, verifiedAt, cached: !req.force };
    },
    async listLocations(req, ctx) {
      seen("ListLocations", ctx);
      const all = [...locations.values()].filter((l) => req.orgSlug === "" || l.orgSlug === req.orgSlug);
      all.sort((a, b) => a.locationUid.localeCompare(b.locationUid));
      return {
        locations: all.map((l) => ({
          locationUid: l.locationUid,
          orgSlug: l.orgSlug,
          state: l.state === "deleted" ? LocationState.DELETED : LocationState.ACTIVE,
          verifiedAt,
          name: l.name ?? "",
          organizationUid: l.organizationUid ?? "",
        })),
      };
    },
    async getLocationStatus(req, ctx) {
      seen("GetLocationStatus", ctx);
      const loc = known(req.locationUid);
      return {
        locationUid: loc.locationUid,
        orgSlug: loc.orgSlug,
        state: loc.state === "deleted" ? LocationState.DELETED : LocationState.ACTIVE,
        verificationState: VerificationState.VERIFIED,
        verifiedAt,
        budget: { available: 20, capacity: 20, refillPerSecond: 2, quotaGroup: `credential:${loc.orgSlug}` },
        authState: AuthState.VALID,
        name: loc.name ?? "",
        organizationUid: loc.organizationUid ?? "",
        events: options.eventsStatus?.[req.locationUid],
      };
    },
    async removeLocation(req, ctx) {
      seen("RemoveLocation", ctx);
      known(req.locationUid);
      locations.delete(req.locationUid);
      return { locationUid: req.locationUid };
    },
    async *onboardLocations(req, ctx) {
      seen("OnboardLocations", ctx);
      for (const l of req.locations) {
        if (locations.has(l.locationUid)) {
          yield { locationUid: l.locationUid, outcome: OnboardingOutcome.SKIPPED_EXISTING, message: "already onboarded; nothing changed" };
        } else if (failOnboarding.has(l.locationUid)) {
          yield {
            locationUid: l.locationUid,
            outcome: OnboardingOutcome.FAILED,
            errorCode: "ERR_LOC_NOT_IN_SCOPE",
            message: "absent from GET /v4/locations for this credential; re-authorize a user who can reach it",
          };
        } else if (req.dryRun) {
          yield { locationUid: l.locationUid, outcome: OnboardingOutcome.CHECKED, message: "every check passed; nothing changed" };
        } else {
          locations.set(l.locationUid, { locationUid: l.locationUid, orgSlug: l.orgSlug });
          yield { locationUid: l.locationUid, outcome: OnboardingOutcome.ONBOARDED, message: "onboarded" };
        }
      }
    },
    async *queryAudit(req, ctx) {
      seen("QueryAudit", ctx);
      let n = 0;
      for (const r of audit) {
        const record = create(AuditRecordSchema, { ...r, ts: timestampFromMs(Date.parse(r.ts)) });
        const ts = Date.parse(r.ts);
        if (req.locationUid !== "" && record.locationUid !== req.locationUid) continue;
        if (req.since !== undefined && ts < timestampMs(req.since)) continue;
        if (req.until !== undefined && ts >= timestampMs(req.until)) continue;
        if (req.method !== "" && record.method !== req.method) continue;
        if (req.statusClass !== "" && `${Math.floor(record.status / 100)}xx` !== req.statusClass) continue;
        if (req.requestId !== "" && record.requestId !== req.requestId) continue;
        if (req.limit > 0 && n >= req.limit) return;
        n++;
        yield { record };
      }
    },
    async *watchEvents(req, ctx) {
      seen("WatchEvents", ctx);
      known(req.locationUid);
      const list = options.events?.[req.locationUid] ?? [];
      const after = req.onlyNew ? list.length : req.afterCursor === "" ? 0 : Number(req.afterCursor);
      if (!Number.isInteger(after) || after > list.length) throw wireError("ERR_LOC_BAD_REQUEST", "after_cursor is ahead of this location's event log", { locationUid: req.locationUid });
      for (let i = after; i < list.length; i++) {
        const e = list[i] as { eventType: string; body: string };
        if (req.eventTypes.length > 0 && !req.eventTypes.includes(e.eventType)) continue;
        // One event per message; the real router sends what one read found.
        yield { events: [{ cursor: String(i + 1), locationUid: req.locationUid, eventType: e.eventType, eventId: `fake-event-${i + 1}`, receivedAt: verifiedAt, body: e.body }] };
      }
    },
    async *syncWebhooks(req, ctx) {
      seen("SyncWebhooks", ctx);
      const uids = req.locationUids.length === 0 ? [...locations.keys()].sort() : req.locationUids;
      for (const uid of uids) {
        if (!locations.has(uid)) {
          yield { locationUid: uid, outcome: WebhookSyncOutcome.FAILED, errorCode: "ERR_LOC_UNKNOWN", message: "location is not registered" };
          continue;
        }
        yield { locationUid: uid, outcome: WebhookSyncOutcome.CREATED, subscriptionId: `sub_fake_${uid.slice(-4)}`, podiumWebhookUid: `wh-${uid.slice(-4)}`, scope: WebhookScope.LOCATION, message: "webhook created for 26 event types" };
      }
    },
    // Onboarding by consent: the consent is taken as given at once, so AwaitAuthorization answers immediately.
    async beginAuthorization(req, ctx) {
      seen("BeginAuthorization", ctx);
      const state = `fake-state-${consents.size + 1}`;
      consents.set(state, { locationUid: req.locationUid, orgSlug: req.orgSlug });
      return {
        authorizeUrl: `https://podium.invalid/oauth/authorize?client_id=fake&state=${state}`,
        state,
        expiresAt: timestampFromMs(Date.UTC(2026, 0, 1, 0, 10)),
        redirectUri: "http://127.0.0.1:8080/oauth/callback",
      };
    },
    async awaitAuthorization(req, ctx) {
      seen("AwaitAuthorization", ctx);
      const consent = consents.get(req.state);
      if (consent === undefined) throw wireError("ERR_LOC_BAD_REQUEST", "unknown authorization state");
      if (failOnboarding.has(consent.locationUid)) {
        return { locationUid: consent.locationUid, outcome: OnboardingOutcome.FAILED, errorCode: "ERR_LOC_NOT_IN_SCOPE", message: "absent from GET /v4/locations for this credential" };
      }
      if (locations.has(consent.locationUid)) return { locationUid: consent.locationUid, outcome: OnboardingOutcome.SKIPPED_EXISTING, message: "already onboarded; nothing changed" };
      locations.set(consent.locationUid, { locationUid: consent.locationUid, orgSlug: consent.orgSlug });
      return { locationUid: consent.locationUid, outcome: OnboardingOutcome.ONBOARDED, message: "onboarded" };
    },
  };

  const routes = (router: ConnectRouter): void => {
    router.service(LocationRouterService, service);
  };
  return {
    service,
    routes,
    transport: (interceptors) => createRouterTransport(routes, { transport: { interceptors } }),
    locations,
    received,
  };
}
