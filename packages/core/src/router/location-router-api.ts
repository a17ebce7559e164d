/**
 * The public surface of the routing core, as the server, the CLI and tests see it.
 * Implemented by `createLocationRouter()` in location-router.ts. Transport-free: the server maps these
 * plain objects to and from the protobuf messages.
 */
import type { AuditQuery, AuditRecord } from "../audit/index.js";
import type { AuthorizationCallback, AuthorizationRequest, AuthState, PendingAuthorization } from "../oauth/index.js";
import type { OnboardingInput, OnboardingOptions, OnboardingResult } from "../onboarding/index.js";
import type { BudgetSnapshot } from "../budgets/index.js";
import type { LocationState } from "../credentials/index.js";
import type { VerificationState } from "../verification/index.js";

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
  /**
   * Org slugs the caller holds an organization grant for (the API key's `organizations`): only these may run
   * organization-level operations (organization, users, tag and attribute definitions, products, organization
   * webhooks, templates and campaigns) through a location of that organization. Absent or empty: none (deny by
   * default); `["*"]` (ALL_ORGANIZATIONS): every organization. Checked with `mayActForOrganization` (organization-grant.ts).
   */
  organizations?: readonly string[] | undefined;
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


/** A registered location as listed. */
export interface LocationSummary {
  locationUid: string;
  orgSlug: string;
  /** Podium's name of the location, learned at onboarding or verification; undefined until then. */
  name?: string | undefined;
  /** Podium's organization uid of the location, learned at onboarding or verification. */
  organizationUid?: string | undefined;
  /** The configured OAuth app whose references the location uses; undefined when none matches. */
  oauthApp?: string | undefined;
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

export interface LocationStatus extends LocationSummary {
  verificationState: VerificationState;
  verificationExpiresAt?: number | undefined;
  budget: BudgetSnapshot;
  /** "failed" also when Podium refused the location's credential (ERR_LOC_AUTH) after its last good refresh or call. */
  authState: AuthState;
  accessTokenExpiresAt?: number | undefined;
  /** This process's last token refresh for the location: when, the outcome, the code of a failure. */
  lastRefreshAt?: number | undefined;
  lastRefreshOutcome?: "ok" | "failed" | undefined;
  lastRefreshErrorCode?: string | undefined;
  /** This process's last failure for the location (a refusal about the request itself is not counted). */
  lastErrorCode?: string | undefined;
  lastErrorAt?: number | undefined;
  lastErrorRequestId?: string | undefined;
  lastErrorMessage?: string | undefined;
  /** Epoch ms of the last call Podium answered 2xx for the location, or the last verification that reached Podium. */
  lastSuccessAt?: number | undefined;
}

/** What every refusal at the edge records: where, who, why, under which request id. */
interface RefusalBase {
  locationUid: string;
  caller?: string | undefined;
  errorCode: string;
  requestId: string;
}

/** A Call refused at the edge (before the core saw it): its Podium method and path, reduced to a route template. */
export interface CallRefusal extends RefusalBase {
  kind: "call";
  /** The HTTP method the caller asked for, e.g. "POST". */
  method: string;
  /** The Podium path the caller asked for; only its route template is written. */
  path: string;
}

/** Any other RPC refused at the edge, e.g. RemoveLocation; written as `router:<rpc>`. */
export interface RpcRefusal extends RefusalBase {
  kind: "rpc";
  rpc: string;
}

/** A call refused at the edge, before the core saw it. */
export type Refusal = CallRefusal | RpcRefusal;

/** Whether the audit log takes lines, and what the router refuses while it does not (audit.on_failure). */
export interface AuditStatus {
  writable: boolean;
  /** "writes": new writes get ERR_LOC_AUDIT_UNAVAILABLE, reads go on; "all": every call does. */
  refusing: "none" | "writes" | "all";
  /** Bytes of lines waiting in memory for the disk. */
  pendingBytes: number;
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
  /** The audit log's state now; optional so test doubles need not implement it. */
  auditStatus?(): AuditStatus;
  /** Told on every failed audit write and on recovery; returns the unsubscribe. */
  onAuditStatus?(listener: (status: AuditStatus) => void): () => void;
  /** Stop accepting calls, wait for in-flight ones, flush the audit log, close upstream pools. */
  close(): Promise<void>;
}
