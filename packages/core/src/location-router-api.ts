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
  /**
   * Audit a call the server refused before it reached the core (e.g. the caller's grant lacks the
   * location), so every refusal leaves a line with the caller's name and the error code.
   */
  recordRefusal(refusal: Refusal): void;
  /** Stop accepting calls, wait for in-flight ones, flush the audit log, close upstream pools. */
  close(): Promise<void>;
}
