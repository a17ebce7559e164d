/**
 * The public surface of the routing core, as the server, the CLI and tests see it.
 * Implemented by `createLocationRouter()` in location-router.ts. Transport-free: the server maps these
 * plain objects to and from the protobuf messages.
 */

/** One Podium API call for one location. */
export interface RoutedCall {
  /** The location the call is for; it must be registered. There is no default. */
  locationUid: string;
  /** HTTP method, upper case: GET, HEAD, POST, PUT, PATCH or DELETE. */
  method: string;
  /** A normalised `/v4/...` path, optionally with a query string. */
  path: string;
  /** JSON body text; empty string or undefined for none. */
  body?: string | undefined;
  /** Caller-chosen request id; generated when absent. */
  requestId?: string | undefined;
}

/** Who is asking and until when; filled by the server (or a test). */
export interface CallContext {
  /** The authenticated caller's name, written to the audit line. */
  caller?: string | undefined;
  /** Absolute deadline (epoch ms): bounds the budget wait, retries and the upstream call. */
  deadline?: number | undefined;
  /** Aborts the call when the caller goes away. */
  signal?: AbortSignal | undefined;
}

/** Podium's answer, passed through. */
export interface RoutedResponse {
  status: number;
  /** Response body text (JSON), empty if none. */
  body: string;
  /** A safe subset of upstream headers, lower-case names. */
  headers: Record<string, string>;
  requestId: string;
  latencyMs: number;
}

export type LocationState = "active" | "deleted";
export type VerificationState = "unverified" | "verified" | "not_in_scope" | "deleted";
export type AuthState = "no_token" | "valid" | "expired" | "failed";

/** A registered location as listed. */
export interface LocationSummary {
  locationUid: string;
  orgSlug: string;
  state: LocationState;
  /** Epoch ms of the last successful verification, if any. */
  verifiedAt?: number | undefined;
}

export interface VerifyResult {
  locationUid: string;
  orgSlug: string;
  state: VerificationState;
  verifiedAt: number;
  /** True when answered from the verification cache. */
  cached: boolean;
}

export interface BudgetSnapshot {
  available: number;
  capacity: number;
  refillPerSecond: number;
  /** Epoch ms until which Podium's 429 pauses this location, if paused. */
  pausedUntil?: number | undefined;
  quotaGroup: string;
}

export interface LocationStatus extends LocationSummary {
  verificationState: VerificationState;
  verificationExpiresAt?: number | undefined;
  budget: BudgetSnapshot;
  authState: AuthState;
  accessTokenExpiresAt?: number | undefined;
}

/** What an operator hands over to onboard one location. References, never secrets. */
export interface OnboardingInput {
  locationUid: string;
  orgSlug: string;
  /** `env:NAME` or `file:PATH`. */
  clientIdRef: string;
  /** `env:NAME` or `file:PATH`. */
  clientSecretRef: string;
  /** Path of the file holding the location's refresh token. */
  refreshTokenFile: string;
}

export type OnboardingOutcome = "onboarded" | "skipped_existing" | "failed" | "checked";

export interface OnboardingResult {
  locationUid: string;
  outcome: OnboardingOutcome;
  /** ERR_LOC_* code when failed. */
  errorCode?: string | undefined;
  /** What happened, and on failure what the operator should do. Never a secret. */
  message: string;
}

export interface OnboardingOptions {
  dryRun?: boolean | undefined;
  /** Defaults to settings.onboarding.concurrency. */
  concurrency?: number | undefined;
  caller?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * What an operator hands over to onboard one location by consent (OAuth authorization code flow).
 * References, never secrets: the router resolves them on its own host.
 */
export interface AuthorizationRequest {
  locationUid: string;
  orgSlug: string;
  /** `env:NAME` or `file:PATH` of the Podium app's client id. */
  clientIdRef: string;
  /** `env:NAME` or `file:PATH` of the Podium app's client secret. */
  clientSecretRef: string;
  /** Where Podium sends the browser back (the router's `/oauth/callback`); must be registered with the Podium app. */
  redirectUri: string;
  /** OAuth scopes to ask for; empty or absent leaves `scope` out, so Podium applies the app's own scopes. */
  scopes?: readonly string[] | undefined;
  /** How long the consent may take before the state is refused. @default 600000 (10 min) */
  ttlMs?: number | undefined;
}

/** A started authorization: the operator's browser goes to `authorizeUrl` before `expiresAt`. */
export interface PendingAuthorization {
  locationUid: string;
  /** Podium's authorize URL carrying the client id, redirect URI, scopes and `state`. */
  authorizeUrl: string;
  /** The single-use OAuth `state` bound to the pending location; a bearer secret until it is used. */
  state: string;
  /** Epoch ms from which the state is refused. */
  expiresAt: number;
  /** The redirect URI the code will be exchanged with. */
  redirectUri: string;
}

/** What Podium's redirect to the callback carried besides `state`: a `code`, or an OAuth `error` when consent was refused. */
export interface AuthorizationCallback {
  code?: string | undefined;
  error?: string | undefined;
}

/** One audit line. Never tokens, bodies, query strings or PII. */
export interface AuditRecord {
  /** ISO 8601 UTC with milliseconds. */
  ts: string;
  location_uid: string;
  org_slug: string;
  /** Route template, e.g. `/v4/contacts/{identifier}`. */
  endpoint: string;
  method: string;
  /** Upstream HTTP status; 0 when refused before sending. */
  status: number;
  request_id: string;
  latency_ms: number;
  caller?: string;
  error_code?: string;
}

export interface AuditQuery {
  locationUid?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
  method?: string | undefined;
  statusClass?: "2xx" | "3xx" | "4xx" | "5xx" | undefined;
  requestId?: string | undefined;
  limit?: number | undefined;
}

/** A call refused at the edge, before the core saw it. */
export interface Refusal {
  locationUid: string;
  /** The RPC or HTTP method, e.g. "POST" or "RemoveLocation". */
  method: string;
  /** The Podium path if the RPC was Call, else the RPC name; reduced to a route template before writing. */
  path: string;
  caller?: string | undefined;
  errorCode: string;
  requestId: string;
}

/** The routing core. One instance per process. */
export interface LocationRouter {
  /** Route one call. Throws a CoreError subclass on refusal; upstream 4xx/5xx are returned, not thrown. */
  call(call: RoutedCall, ctx?: CallContext): Promise<RoutedResponse>;
  verifyLocation(locationUid: string, opts?: { force?: boolean; ctx?: CallContext }): Promise<VerifyResult>;
  listLocations(filter?: { orgSlug?: string }): Promise<LocationSummary[]>;
  getLocationStatus(locationUid: string): Promise<LocationStatus>;
  removeLocation(locationUid: string, ctx?: CallContext): Promise<void>;
  /** Yields one result per location as each finishes. */
  onboardLocations(inputs: OnboardingInput[], opts?: OnboardingOptions): AsyncIterable<OnboardingResult>;
  queryAudit(query: AuditQuery, ctx?: CallContext): AsyncIterable<AuditRecord>;
  /** Starts onboarding by consent: Podium's authorize URL with a single-use `state` bound to the location. */
  beginAuthorization(request: AuthorizationRequest, ctx?: CallContext): Promise<PendingAuthorization>;
  /**
   * Completes onboarding by consent when Podium redirects back: exchanges the code, stores the refresh token and
   * onboards the location as `onboardLocations` does. Throws BadRequestError for an unknown, expired or already
   * used state; any later failure is the result's `failed` outcome.
   */
  completeAuthorization(state: string, callback: AuthorizationCallback): Promise<OnboardingResult>;
  /**
   * Waits for the authorization's result (at once if it already completed). Throws BadRequestError for an unknown
   * state, DeadlineExceededError when the state expires unused or `signal` aborts first.
   */
  awaitAuthorization(state: string, signal?: AbortSignal): Promise<OnboardingResult>;
  /** The location a known state is bound to, so the server can check the caller's grant first; undefined if unknown. */
  peekAuthorization(state: string): { locationUid: string; expiresAt: number } | undefined;
  /**
   * Audit a call the server refused before it reached the core (e.g. the caller's grant lacks the
   * location), so every refusal leaves a line with the caller's name and the error code.
   */
  recordRefusal(refusal: Refusal): void;
  /**
   * Reopen the audit log at its configured path (logrotate's `postrotate` sends SIGHUP). Optional so test
   * doubles need not implement it.
   */
  reopenAudit?(): Promise<void>;
  /** Stop accepting calls, wait for in-flight ones, flush the audit log, close upstream pools. */
  close(): Promise<void>;
}
