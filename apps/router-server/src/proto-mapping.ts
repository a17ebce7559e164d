/**
 * Plain core objects ↔ protobuf messages. The core never sees generated code; this file is the only
 * place the two meet, so a field added to the contract shows up here and in nowhere else.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type {
  AuditQuery,
  AuditRecord,
  ForwarderStatus,
  LocationEventsStatus,
  WatchedEvent,
  WebhookSyncResult,
  AuthorizationRequest,
  AuthState as CoreAuthState,
  LocationState as CoreLocationState,
  LocationStatus,
  LocationSummary,
  OnboardingInput,
  OnboardingOutcome as CoreOnboardingOutcome,
  OnboardingResult,
  PendingAuthorization,
  RoutedResponse,
  VerificationState as CoreVerificationState,
  VerifyResult,
} from "@podium-router/core";
import { BadRequestError } from "@podium-router/errors";
import {
  AuthState,
  ForwarderState,
  LocationState,
  OnboardingOutcome,
  VerificationState,
  WebhookScope,
  WebhookSyncOutcome,
  type EventsStatusSchema,
  type SyncWebhooksResponseSchema,
  type WatchEventsResponseSchema,
  type AuditRecordSchema,
  type AwaitAuthorizationResponseSchema,
  type BeginAuthorizationRequest,
  type BeginAuthorizationResponseSchema,
  type CallResponseSchema,
  type GetLocationStatusResponseSchema,
  type LocationSchema,
  type OnboardLocationsRequest,
  type OnboardLocationsResponseSchema,
  type QueryAuditRequest,
  type VerifyLocationResponseSchema,
} from "@podium-router/proto";

const locationStates: Record<CoreLocationState, LocationState> = {
  active: LocationState.ACTIVE,
  deleted: LocationState.DELETED,
};
const verificationStates: Record<CoreVerificationState, VerificationState> = {
  unverified: VerificationState.UNVERIFIED,
  verified: VerificationState.VERIFIED,
  not_in_scope: VerificationState.NOT_IN_SCOPE,
  deleted: VerificationState.DELETED,
};
const authStates: Record<CoreAuthState, AuthState> = {
  no_token: AuthState.NO_TOKEN,
  valid: AuthState.VALID,
  expired: AuthState.EXPIRED,
  failed: AuthState.FAILED,
};
const onboardingOutcomes: Record<CoreOnboardingOutcome, OnboardingOutcome> = {
  onboarded: OnboardingOutcome.ONBOARDED,
  skipped_existing: OnboardingOutcome.SKIPPED_EXISTING,
  failed: OnboardingOutcome.FAILED,
  checked: OnboardingOutcome.CHECKED,
  replaced: OnboardingOutcome.REPLACED,
};

function ts(ms: number | undefined): Timestamp | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : timestampFromMs(ms);
}

/** RoutedResponse → CallResponse. */
export function callResponseToProto(r: RoutedResponse): MessageInitShape<typeof CallResponseSchema> {
  return { status: r.status, body: r.body, headers: r.headers, requestId: r.requestId, latencyMs: r.latencyMs };
}

/** VerifyResult → VerifyLocationResponse. */
export function verifyResultToProto(r: VerifyResult): MessageInitShape<typeof VerifyLocationResponseSchema> {
  return {
    locationUid: r.locationUid,
    orgSlug: r.orgSlug,
    state: verificationStates[r.state] ?? VerificationState.UNSPECIFIED,
    verifiedAt: ts(r.verifiedAt),
    cached: r.cached,
  };
}

/** LocationSummary → Location. */
export function locationToProto(l: LocationSummary): MessageInitShape<typeof LocationSchema> {
  return {
    locationUid: l.locationUid,
    orgSlug: l.orgSlug,
    state: locationStates[l.state] ?? LocationState.UNSPECIFIED,
    verifiedAt: ts(l.verifiedAt),
    name: l.name ?? "",
    organizationUid: l.organizationUid ?? "",
    oauthApp: l.oauthApp ?? "",
  };
}

/** LocationStatus → GetLocationStatusResponse. */
export function locationStatusToProto(s: LocationStatus, events?: LocationEventsStatus): MessageInitShape<typeof GetLocationStatusResponseSchema> {
  return {
    events: events === undefined ? undefined : eventsStatusToProto(events),
    locationUid: s.locationUid,
    orgSlug: s.orgSlug,
    state: locationStates[s.state] ?? LocationState.UNSPECIFIED,
    verificationState: verificationStates[s.verificationState] ?? VerificationState.UNSPECIFIED,
    verifiedAt: ts(s.verifiedAt),
    verificationExpiresAt: ts(s.verificationExpiresAt),
    budget: {
      available: s.budget.available,
      capacity: s.budget.capacity,
      refillPerSecond: s.budget.refillPerSecond,
      pausedUntil: ts(s.budget.pausedUntil),
      quotaGroup: s.budget.quotaGroup,
    },
    authState: authStates[s.authState] ?? AuthState.UNSPECIFIED,
    accessTokenExpiresAt: ts(s.accessTokenExpiresAt),
    name: s.name ?? "",
    organizationUid: s.organizationUid ?? "",
    oauthApp: s.oauthApp ?? "",
    lastRefreshAt: ts(s.lastRefreshAt),
    lastRefreshOutcome: s.lastRefreshOutcome ?? "",
    lastRefreshErrorCode: s.lastRefreshErrorCode ?? "",
    lastErrorCode: s.lastErrorCode ?? "",
    lastErrorAt: ts(s.lastErrorAt),
    lastErrorRequestId: s.lastErrorRequestId ?? "",
    lastErrorMessage: s.lastErrorMessage ?? "",
    lastSuccessAt: ts(s.lastSuccessAt),
  };
}

/**
 * OnboardLocationsRequest → the core's inputs: an app by name and the refresh token's value. Never a secret
 * reference or a file path: the wire cannot name either, so nothing a caller sends is read from the router's host.
 */
export function onboardingInputsFromProto(req: OnboardLocationsRequest): OnboardingInput[] {
  return req.locations.map((l) => ({ locationUid: l.locationUid, orgSlug: l.orgSlug, oauthApp: l.oauthApp, refreshToken: l.refreshToken }));
}

/** OnboardingResult → OnboardLocationsResponse. */
export function onboardingResultToProto(r: OnboardingResult): MessageInitShape<typeof OnboardLocationsResponseSchema> {
  return {
    locationUid: r.locationUid,
    outcome: onboardingOutcomes[r.outcome] ?? OnboardingOutcome.UNSPECIFIED,
    errorCode: r.errorCode ?? "",
    message: r.message,
  };
}

/** QueryAuditRequest → AuditQuery; empty strings and zeros mean "no filter". The service checked every field (request-fields.ts). */
export function auditQueryFromProto(req: QueryAuditRequest): AuditQuery {
  return {
    locationUid: req.locationUid || undefined,
    since: req.since === undefined ? undefined : timestampMs(req.since),
    until: req.until === undefined ? undefined : timestampMs(req.until),
    method: req.method || undefined,
    statusClass: (req.statusClass || undefined) as AuditQuery["statusClass"],
    requestId: req.requestId || undefined,
    limit: req.limit === 0 ? undefined : req.limit,
  };
}

/** AuditRecord (a JSONL line) → the proto AuditRecord. */
export function auditRecordToProto(r: AuditRecord): MessageInitShape<typeof AuditRecordSchema> {
  return {
    ts: ts(Date.parse(r.ts)),
    locationUid: r.location_uid,
    orgSlug: r.org_slug,
    endpoint: r.endpoint,
    method: r.method,
    status: r.status,
    requestId: r.request_id,
    latencyMs: r.latency_ms,
    caller: r.caller ?? "",
    errorCode: r.error_code ?? "",
    phase: r.phase ?? "",
  };
}

/** The longest consent the contract allows (BeginAuthorizationRequest.ttl_seconds). */
const MAX_AUTHORIZATION_TTL_SECONDS = 3_600;

/** BeginAuthorizationRequest + the server's callback URL → the core's AuthorizationRequest, naming the app, never a reference. */
export function authorizationRequestFromProto(req: BeginAuthorizationRequest, redirectUri: string): AuthorizationRequest {
  if (req.ttlSeconds > MAX_AUTHORIZATION_TTL_SECONDS) {
    throw new BadRequestError({ locationUid: req.locationUid || undefined }, `ttl_seconds must be at most ${MAX_AUTHORIZATION_TTL_SECONDS} (0 for the default)`);
  }
  return {
    locationUid: req.locationUid,
    orgSlug: req.orgSlug,
    oauthApp: req.oauthApp,
    redirectUri,
    scopes: req.scopes,
    ttlMs: req.ttlSeconds === 0 ? undefined : req.ttlSeconds * 1000,
  };
}

/** PendingAuthorization → BeginAuthorizationResponse. */
export function pendingAuthorizationToProto(p: PendingAuthorization): MessageInitShape<typeof BeginAuthorizationResponseSchema> {
  return { authorizeUrl: p.authorizeUrl, state: p.state, expiresAt: ts(p.expiresAt), redirectUri: p.redirectUri };
}

/** OnboardingResult → AwaitAuthorizationResponse. */
export function authorizationResultToProto(r: OnboardingResult): MessageInitShape<typeof AwaitAuthorizationResponseSchema> {
  return {
    locationUid: r.locationUid,
    outcome: onboardingOutcomes[r.outcome] ?? OnboardingOutcome.UNSPECIFIED,
    errorCode: r.errorCode ?? "",
    message: r.message,
  };
}

const forwarderStates: Record<ForwarderStatus["state"], ForwarderState> = {
  ok: ForwarderState.OK,
  retrying: ForwarderState.RETRYING,
  dead_lettered: ForwarderState.DEAD_LETTERED,
};
const webhookScopes: Record<"location" | "organization", WebhookScope> = {
  location: WebhookScope.LOCATION,
  organization: WebhookScope.ORGANIZATION,
};
const syncOutcomes: Record<WebhookSyncResult["outcome"], WebhookSyncOutcome> = {
  created: WebhookSyncOutcome.CREATED,
  repaired: WebhookSyncOutcome.REPAIRED,
  unchanged: WebhookSyncOutcome.UNCHANGED,
  removed: WebhookSyncOutcome.REMOVED,
  failed: WebhookSyncOutcome.FAILED,
};

/** The next WatchedEvents → WatchEventsResponse. */
export function watchedEventsToProto(events: readonly WatchedEvent[]): MessageInitShape<typeof WatchEventsResponseSchema> {
  return { events: events.map((e) => ({ cursor: e.cursor, locationUid: e.locationUid, eventType: e.eventType, eventId: e.eventId, receivedAt: ts(e.receivedAt), body: e.body })) };
}

/** WebhookSyncResult → SyncWebhooksResponse. */
export function syncResultToProto(r: WebhookSyncResult): MessageInitShape<typeof SyncWebhooksResponseSchema> {
  return {
    locationUid: r.locationUid,
    outcome: syncOutcomes[r.outcome] ?? WebhookSyncOutcome.UNSPECIFIED,
    subscriptionId: r.subscriptionId ?? "",
    podiumWebhookUid: r.podiumWebhookUid ?? "",
    scope: r.scope === undefined ? WebhookScope.UNSPECIFIED : webhookScopes[r.scope],
    errorCode: r.errorCode ?? "",
    message: r.message,
  };
}

/** LocationEventsStatus → EventsStatus. */
export function eventsStatusToProto(s: LocationEventsStatus): MessageInitShape<typeof EventsStatusSchema> {
  const f = s.forwarder;
  return {
    subscriptionId: s.subscription?.subscriptionId ?? "",
    podiumWebhookUid: s.subscription?.podiumWebhookUid ?? "",
    webhookScope: s.subscription === undefined ? WebhookScope.UNSPECIFIED : webhookScopes[s.subscription.scope],
    lastCursor: s.lastCursor,
    prunedThrough: s.prunedThrough,
    forwarder:
      f === undefined
        ? undefined
        : {
            target: f.target,
            state: forwarderStates[f.state] ?? ForwarderState.UNSPECIFIED,
            deliveredCursor: f.deliveredCursor,
            pending: BigInt(f.pending),
            attempts: f.attempts,
            nextAttemptAt: ts(f.nextAttemptAt),
            lastStatus: f.lastStatus ?? 0,
            lastError: f.lastError ?? "",
            deadLetters: BigInt(f.deadLetters),
            lastDeadCursor: f.lastDeadCursor ?? "",
          },
  };
}
