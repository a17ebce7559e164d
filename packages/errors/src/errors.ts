/**
 * Every failure podium-router reports, one class per failure, each with a stable `ERR_LOC_*` code.
 * Callers match on `code` (or `isCoreError`), never on the prototype: the client SDK rebuilds these
 * from the wire with `coreErrorFromCode`, and two copies of this module (src and dist) may coexist.
 *
 * This package (`@podium-router/errors`) imports nothing, so the client SDK and browsers can use it without the
 * core and its database drivers.
 */

/** The stable code of a core error; the server maps each to a Connect code in one table. */
export type CoreErrorCode =
  | "ERR_LOC_UNKNOWN"
  | "ERR_LOC_NOT_IN_SCOPE"
  | "ERR_LOC_DELETED"
  | "ERR_LOC_MISMATCH"
  | "ERR_LOC_BAD_REQUEST"
  | "ERR_LOC_RATE_LIMITED"
  | "ERR_LOC_AUTH"
  | "ERR_LOC_UPSTREAM_UNAVAILABLE"
  | "ERR_LOC_ONBOARDING_PARTIAL"
  | "ERR_LOC_CREDENTIAL"
  | "ERR_LOC_CONFIG"
  | "ERR_LOC_UNAUTHENTICATED"
  | "ERR_LOC_PERMISSION_DENIED"
  | "ERR_LOC_DEADLINE_EXCEEDED"
  | "ERR_LOC_BUDGET_UNAVAILABLE"
  | "ERR_LOC_CONSENT_LIMIT"
  | "ERR_LOC_AUDIT_UNAVAILABLE"
  | "ERR_LOC_INTERNAL"
  | "ERR_LOC_NOT_IN_PODIUM"
  | "ERR_LOC_ORG_MISMATCH"
  | "ERR_LOC_ALREADY_ONBOARDED"
  | "ERR_LOC_EVENT_SIGNATURE"
  | "ERR_LOC_EVENT_STALE"
  | "ERR_LOC_EVENT_REPLAYED"
  | "ERR_LOC_EVENT_TOO_LARGE"
  | "ERR_LOC_EVENT_MALFORMED"
  | "ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN"
  | "ERR_LOC_EVENT_STORE_UNAVAILABLE"
  | "ERR_LOC_EVENT_CURSOR_EXPIRED"
  | "ERR_LOC_NOT_OWNED";

/** What a code means to an operator: an HTTP-ish status, a short title and what to do about it. */
export interface CoreErrorInfo {
  readonly httpStatus: number;
  readonly title: string;
  readonly action: string;
}

/** One row per code, in the order of docs/ARCHITECTURE.md "Errors". Titles carry no final period. */
export const errorCatalog: Readonly<Record<CoreErrorCode, CoreErrorInfo>> = Object.freeze({
  ERR_LOC_UNKNOWN: {
    httpStatus: 404,
    title: "Location is not registered",
    action: "Onboard it with `podium-router onboard`, or fix the location_uid; there is no default location.",
  },
  ERR_LOC_NOT_IN_SCOPE: {
    httpStatus: 403,
    title: "Location is not in its credential's scope",
    action: "Re-authorize the Podium app as a user who can access this location: `podium-router locations reauthorize --location-uid <uid> --authorize` (or, once the grant covers it in Podium, `podium-router onboard` it again, which re-verifies it).",
  },
  ERR_LOC_DELETED: {
    httpStatus: 404,
    title: "Location was deleted in Podium",
    action: "If Podium restored it, run `podium-router onboard` for it again (it is verified and made live again); otherwise remove it with `podium-router locations remove`.",
  },
  ERR_LOC_MISMATCH: {
    httpStatus: 400,
    title: "Request names another location or organization than the one it is routed to",
    action: "Route the call to the location it names, or leave the field out and let the router fill it in.",
  },
  ERR_LOC_BAD_REQUEST: {
    httpStatus: 400,
    title: "Malformed request",
    action: "Send an upper-case HTTP method, a normalised /v4/... path and a JSON object body.",
  },
  ERR_LOC_RATE_LIMITED: {
    httpStatus: 429,
    title: "Location's rate budget is exhausted",
    action: "Retry after retryAfterMs, or raise budgets.location (or budgets.overrides) in the settings.",
  },
  ERR_LOC_AUTH: {
    httpStatus: 401,
    title: "Podium rejected the location's credentials",
    action: "Get the location a new refresh token: `podium-router locations reauthorize --location-uid <uid> --authorize` (a consent in a browser) or `--refresh-token-file FILE`; the new credential is verified before it replaces the stored one.",
  },
  ERR_LOC_UPSTREAM_UNAVAILABLE: {
    httpStatus: 503,
    title: "Podium is unavailable",
    action: "Retry later; if it persists, check upstream.base_url and the network path to Podium.",
  },
  ERR_LOC_ONBOARDING_PARTIAL: {
    httpStatus: 207,
    title: "Onboarding finished with failures",
    action: "Fix the failed locations listed in the results and run onboarding again: locations already onboarded and working are skipped, broken ones repaired.",
  },
  ERR_LOC_CREDENTIAL: {
    httpStatus: 400,
    title: "Credential cannot be resolved",
    action: "Check the env:/file: reference, the file's permissions and its contents.",
  },
  ERR_LOC_CONFIG: {
    httpStatus: 500,
    title: "Invalid settings",
    action: "Fix the settings file or the PODIUM_ROUTER_* environment override, then restart.",
  },
  ERR_LOC_UNAUTHENTICATED: {
    httpStatus: 401,
    title: "Caller is not authenticated",
    action: "Send a valid podium-router API key.",
  },
  ERR_LOC_PERMISSION_DENIED: {
    httpStatus: 403,
    title: "Caller is not permitted to do this",
    action: "Grant the caller's API key this location or operation, or use another key.",
  },
  ERR_LOC_DEADLINE_EXCEEDED: {
    httpStatus: 504,
    title: "Deadline exceeded",
    action: "Allow a longer deadline, or retry; a write may or may not have reached Podium.",
  },
  ERR_LOC_BUDGET_UNAVAILABLE: {
    httpStatus: 503,
    title: "Shared rate budget store is unreachable",
    action: "Check the budget store (Redis) connection; calls are refused until it is back.",
  },
  ERR_LOC_CONSENT_LIMIT: {
    httpStatus: 429,
    title: "Too many consents are pending",
    action:
      "Finish or abandon pending `onboard --authorize` consents (each expires after its lifetime) and retry after retryAfterMs, or raise onboarding.max_pending_consents_per_caller / _per_org.",
  },
  ERR_LOC_AUDIT_UNAVAILABLE: {
    httpStatus: 503,
    title: "Audit log cannot be written",
    action:
      "Free space on, or restore write access to, the audit log's disk (audit.path); service resumes by itself. Nothing was sent unless the message says Podium answered: then decide with the request_id.",
  },
  ERR_LOC_INTERNAL: {
    httpStatus: 500,
    title: "Internal error in podium-router",
    action: "This is a bug; report it with the request id.",
  },
  ERR_LOC_NOT_IN_PODIUM: {
    httpStatus: 404,
    title: "Podium has no location with this uid",
    action: "Check the location_uid for a typo (Podium answers 404 alike for a uid that never existed and one it deleted); nothing was stored.",
  },
  ERR_LOC_ORG_MISMATCH: {
    httpStatus: 409,
    title: "Location belongs to another organization than its org slug says",
    action: "Onboard it under the org slug of the organization Podium reports for it (`podium-router locations list` shows each slug's organization uid); nothing was stored.",
  },
  ERR_LOC_ALREADY_ONBOARDED: {
    httpStatus: 409,
    title: "Location is already onboarded, with other credentials than the ones given",
    action: "To replace them, onboard it again with --replace (OnboardLocations replace: true): the given credentials are verified first, then stored in one write; otherwise correct the input. Nothing was changed.",
  },
  ERR_LOC_EVENT_SIGNATURE: {
    httpStatus: 401,
    title: "Webhook request is unsigned or its signature does not verify",
    action: "Only Podium, signing with the webhook's secret, may post events; run `podium-router webhooks sync` to repair a webhook whose secret differs.",
  },
  ERR_LOC_EVENT_STALE: {
    httpStatus: 401,
    title: "Webhook timestamp is outside the accepted window",
    action: "Check this host's clock (NTP), or widen events.timestamp_tolerance_ms; an old request replayed is refused.",
  },
  ERR_LOC_EVENT_REPLAYED: {
    httpStatus: 409,
    title: "Webhook request was already received with this very signature",
    action: "Nothing to do: the event was stored when it first arrived, and a replay is never delivered again.",
  },
  ERR_LOC_EVENT_TOO_LARGE: {
    httpStatus: 413,
    title: "Webhook body exceeds events.max_body_bytes",
    action: "Raise events.max_body_bytes if Podium's events outgrew it; nothing was stored.",
  },
  ERR_LOC_EVENT_MALFORMED: {
    httpStatus: 400,
    title: "Webhook body is not a Podium event document",
    action: "Podium posts JSON {data, metadata: {event_type, version}} with one of its 26 event types; check what posts to this URL.",
  },
  ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN: {
    httpStatus: 404,
    title: "Webhook subscription is not known to this router",
    action: "Run `podium-router webhooks sync`: it points each location's Podium webhook at its current subscription.",
  },
  ERR_LOC_EVENT_STORE_UNAVAILABLE: {
    httpStatus: 503,
    title: "Event log is unavailable",
    action: "Check events.backend (the SQLite file, or PostgreSQL); Podium retries the event, which was not acknowledged.",
  },
  ERR_LOC_EVENT_CURSOR_EXPIRED: {
    httpStatus: 410,
    title: "Event cursor is older than the retained event log",
    action: "Events after this cursor were removed by events.retention_hours; resume with an empty cursor and reconcile the gap.",
  },
  ERR_LOC_NOT_OWNED: {
    httpStatus: 403,
    title: "Resource does not belong to the routed location",
    action: "Route the call to the location that owns the resource (the router never says which one that is), or leave the id out; an id Podium does not know is refused alike. Nothing was sent.",
  },
});

/** Typed context an error carries. Never a token, secret or request body. */
export interface CoreErrorContext {
  /** The location the call was for. */
  locationUid?: string | undefined;
  /** The router's request id, also sent upstream as X-Request-ID and written to the audit line. */
  requestId?: string | undefined;
  /** How long to wait before retrying (rate limits). */
  retryAfterMs?: number | undefined;
  /** Podium's HTTP status when the error came from an upstream answer. */
  upstreamStatus?: number | undefined;
  /** The underlying failure, e.g. an undici error. */
  cause?: unknown;
}

/** The JSON shape of a core error: safe to log or send to a caller. */
export interface CoreErrorJson {
  code: CoreErrorCode;
  message: string;
  locationUid?: string;
  requestId?: string;
  retryAfterMs?: number;
}

const CODE_PREFIX = "ERR_LOC_";

/** Builds `<title>[: <detail>]. <action>`; the detail defaults to the location uid. */
function messageFor(code: CoreErrorCode, context: CoreErrorContext, detail: string | undefined): string {
  const { title, action } = errorCatalog[code];
  let d = (detail ?? context.locationUid ?? "").trim();
  // The format supplies the period; a detail that ends in one would print "..".
  while (d.endsWith(".")) d = d.slice(0, -1);
  return d === "" ? `${title}. ${action}` : `${title}: ${d}. ${action}`;
}

/**
 * Base of every podium-router error; match on `code`, not on the class. Complete at creation: the context is
 * passed in and never changed afterwards (`withErrorContext` makes a completed copy instead).
 */
export class CoreError extends Error {
  readonly code: CoreErrorCode;
  readonly locationUid?: string | undefined;
  readonly requestId?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly upstreamStatus?: number | undefined;

  constructor(code: CoreErrorCode, context: CoreErrorContext = {}, detail?: string) {
    super(messageFor(code, context, detail), context.cause === undefined ? undefined : { cause: context.cause });
    this.name = "CoreError";
    this.code = code;
    if (context.locationUid !== undefined) this.locationUid = context.locationUid;
    if (context.requestId !== undefined) this.requestId = context.requestId;
    if (context.retryAfterMs !== undefined) this.retryAfterMs = context.retryAfterMs;
    if (context.upstreamStatus !== undefined) this.upstreamStatus = context.upstreamStatus;
  }

  /** The HTTP-ish status of this code, from `errorCatalog`. */
  get httpStatus(): number {
    return errorCatalog[this.code].httpStatus;
  }

  /** Code, message and the safe context fields; never the cause, which may hold upstream details. */
  toJSON(): CoreErrorJson {
    const json: CoreErrorJson = { code: this.code, message: this.message };
    if (this.locationUid !== undefined) json.locationUid = this.locationUid;
    if (this.requestId !== undefined) json.requestId = this.requestId;
    if (this.retryAfterMs !== undefined) json.retryAfterMs = this.retryAfterMs;
    return json;
  }
}

/** Thrown when no credential is registered for the location_uid; there is no default and no fallback. */
export class UnknownLocationError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_UNKNOWN", context, detail);
    this.name = "UnknownLocationError";
  }
}

/** Thrown when the location is absent from its credential's GET /v4/locations, or Podium answers 403 for it. */
export class LocationNotInScopeError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_NOT_IN_SCOPE", context, detail);
    this.name = "LocationNotInScopeError";
  }
}

/** Thrown when Podium answers 404 for GET /v4/locations/{uid}, or the location is marked deleted. */
export class LocationDeletedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_DELETED", context, detail);
    this.name = "LocationDeletedError";
  }
}

/** Thrown when the path, query or body names another location or organization than the routed one. */
export class LocationMismatchError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_MISMATCH", context, detail);
    this.name = "LocationMismatchError";
  }
}

/** Thrown for a malformed method, path, body or request id. */
export class BadRequestError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_BAD_REQUEST", context, detail);
    this.name = "BadRequestError";
  }
}

/** Thrown when waiting for the location's budget would exceed the bound; carries `retryAfterMs`. */
export class LocationRateLimitedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_RATE_LIMITED", context, detail);
    this.name = "LocationRateLimitedError";
  }
}

/** Thrown when a token refresh fails (revoked refresh token, invalid client) or Podium answers 401 after one retry. */
export class LocationAuthError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_AUTH", context, detail);
    this.name = "LocationAuthError";
  }
}

/** Thrown on a connection error, timeout or 5xx from Podium that is not (or no longer) retried. */
export class UpstreamUnavailableError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_UPSTREAM_UNAVAILABLE", context, detail);
    this.name = "UpstreamUnavailableError";
  }
}

/** Thrown when a bulk onboarding finished with some failures. */
export class OnboardingPartialError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_ONBOARDING_PARTIAL", context, detail);
    this.name = "OnboardingPartialError";
  }
}

/** Thrown when a credential reference or file cannot be resolved, read or parsed. */
export class CredentialError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_CREDENTIAL", context, detail);
    this.name = "CredentialError";
  }
}

/** Thrown when settings are invalid; the detail names the dotted key and the rule. */
export class InvalidConfigError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_CONFIG", context, detail);
    this.name = "InvalidConfigError";
  }
}

/** Thrown when the router's caller sent no API key or an invalid one. */
export class UnauthenticatedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_UNAUTHENTICATED", context, detail);
    this.name = "UnauthenticatedError";
  }
}

/** Thrown when the caller's grant lacks the location or the operation. */
export class PermissionDeniedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_PERMISSION_DENIED", context, detail);
    this.name = "PermissionDeniedError";
  }
}

/**
 * Thrown when a caller, or an organization, already has as many consents pending as the settings allow;
 * carries `retryAfterMs`, when the first of those pending consents expires.
 */
export class ConsentLimitError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_CONSENT_LIMIT", context, detail);
    this.name = "ConsentLimitError";
  }
}

/** Thrown when the caller's deadline passed (or the caller went away) before an answer. */
export class DeadlineExceededError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_DEADLINE_EXCEEDED", context, detail);
    this.name = "DeadlineExceededError";
  }
}

/** Thrown when the shared budget store is unreachable and the policy refuses calls. */
export class BudgetUnavailableError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_BUDGET_UNAVAILABLE", context, detail);
    this.name = "BudgetUnavailableError";
  }
}

/**
 * Thrown when the audit log cannot be written (disk full, read-only, the file gone) and the call may not go on
 * without its durable line (audit.on_failure). Refused before sending: retryable, with retryAfterMs. Raised
 * after Podium answered a write whose line could not be made durable: not retryable (no retryAfterMs).
 */
export class AuditUnavailableError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_AUDIT_UNAVAILABLE", context, detail);
    this.name = "AuditUnavailableError";
  }
}

/** Thrown for a bug: a state the code believes impossible. */
export class InternalError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_INTERNAL", context, detail);
    this.name = "InternalError";
  }
}

/** Thrown at onboarding when Podium answers 404 for the uid: it never existed (a typo) or Podium deleted it. */
export class LocationNotInPodiumError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_NOT_IN_PODIUM", context, detail);
    this.name = "LocationNotInPodiumError";
  }
}

/**
 * Thrown at onboarding when the organization Podium reports for the location is not the one its org slug is
 * pinned to (or that organization is registered under another slug).
 */
export class OrganizationMismatchError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_ORG_MISMATCH", context, detail);
    this.name = "OrganizationMismatchError";
  }
}

/**
 * Thrown when the call touches a resource (contact, conversation, campaign …) the router cannot prove belongs to
 * the routed location: another location's, another organization's, unknown to Podium, or an answer naming another
 * location. The detail names the routed location and the resource kind, never the owner.
 */
export class ResourceNotOwnedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_NOT_OWNED", context, detail);
    this.name = "ResourceNotOwnedError";
  }
}

/**
 * Thrown when onboarding gives a registered, working location another OAuth app or org slug than it has, without
 * asking to replace its credentials.
 */
export class AlreadyOnboardedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_ALREADY_ONBOARDED", context, detail);
    this.name = "AlreadyOnboardedError";
  }
}

/** Thrown when a webhook request carries no signature, or one that does not verify with the subscription's secret. */
export class EventSignatureError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_SIGNATURE", context, detail);
    this.name = "EventSignatureError";
  }
}

/** Thrown when a webhook's `podium-timestamp` is outside `events.timestamp_tolerance_ms` of this host's clock. */
export class EventStaleError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_STALE", context, detail);
    this.name = "EventStaleError";
  }
}

/** Thrown when a webhook request repeats one already stored, signature and timestamp included. */
export class EventReplayedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_REPLAYED", context, detail);
    this.name = "EventReplayedError";
  }
}

/** Thrown when a webhook body exceeds `events.max_body_bytes`. */
export class EventTooLargeError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_TOO_LARGE", context, detail);
    this.name = "EventTooLargeError";
  }
}

/** Thrown when a webhook body is not a Podium event document of a known type. */
export class EventMalformedError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_MALFORMED", context, detail);
    this.name = "EventMalformedError";
  }
}

/** Thrown when a webhook arrives for a subscription the router does not know. */
export class EventSubscriptionUnknownError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN", context, detail);
    this.name = "EventSubscriptionUnknownError";
  }
}

/** Thrown when the event log cannot store or read events. */
export class EventStoreUnavailableError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_STORE_UNAVAILABLE", context, detail);
    this.name = "EventStoreUnavailableError";
  }
}

/** Thrown when a subscriber resumes from a cursor whose following events retention has removed. */
export class EventCursorExpiredError extends CoreError {
  constructor(context: CoreErrorContext = {}, detail?: string) {
    super("ERR_LOC_EVENT_CURSOR_EXPIRED", context, detail);
    this.name = "EventCursorExpiredError";
  }
}

// Refinements: a code's class with what one kind of caller needs to tell it apart.

/** `reason` of RefreshTokenConflictError; matched by `isRefreshTokenConflict()` (not by prototype). */
const CONFLICT = "refresh_token_version_conflict";

/**
 * A version-checked refresh-token write found a newer token stored by another process (this one's lock had
 * expired). Nothing was written; the stored token is the one to use, so re-read it. Code ERR_LOC_CREDENTIAL.
 */
export class RefreshTokenConflictError extends CredentialError {
  readonly reason = CONFLICT;
  readonly expectedVersion: number;
  readonly storedVersion: number;

  constructor(context: CoreErrorContext & { expectedVersion: number; storedVersion: number }) {
    super(
      context,
      `the refresh token of location ${context.locationUid ?? "(unknown)"} was rotated by another router process (stored version ${context.storedVersion}, this write expected ${context.expectedVersion}); nothing was written, re-read the stored token`,
    );
    this.expectedVersion = context.expectedVersion;
    this.storedVersion = context.storedVersion;
  }
}

/** True for a RefreshTokenConflictError, from any copy of this module. */
export function isRefreshTokenConflict(err: unknown): err is RefreshTokenConflictError {
  return typeof err === "object" && err !== null && (err as { reason?: unknown }).reason === CONFLICT;
}

type CoreErrorClass = new (context?: CoreErrorContext, detail?: string) => CoreError;

/** The class for each code; `coreErrorFromCode` rebuilds errors from it. */
export const errorClasses: Readonly<Record<CoreErrorCode, CoreErrorClass>> = Object.freeze({
  ERR_LOC_UNKNOWN: UnknownLocationError,
  ERR_LOC_NOT_IN_SCOPE: LocationNotInScopeError,
  ERR_LOC_DELETED: LocationDeletedError,
  ERR_LOC_MISMATCH: LocationMismatchError,
  ERR_LOC_BAD_REQUEST: BadRequestError,
  ERR_LOC_RATE_LIMITED: LocationRateLimitedError,
  ERR_LOC_AUTH: LocationAuthError,
  ERR_LOC_UPSTREAM_UNAVAILABLE: UpstreamUnavailableError,
  ERR_LOC_ONBOARDING_PARTIAL: OnboardingPartialError,
  ERR_LOC_CREDENTIAL: CredentialError,
  ERR_LOC_CONFIG: InvalidConfigError,
  ERR_LOC_UNAUTHENTICATED: UnauthenticatedError,
  ERR_LOC_PERMISSION_DENIED: PermissionDeniedError,
  ERR_LOC_CONSENT_LIMIT: ConsentLimitError,
  ERR_LOC_DEADLINE_EXCEEDED: DeadlineExceededError,
  ERR_LOC_BUDGET_UNAVAILABLE: BudgetUnavailableError,
  ERR_LOC_AUDIT_UNAVAILABLE: AuditUnavailableError,
  ERR_LOC_INTERNAL: InternalError,
  ERR_LOC_NOT_IN_PODIUM: LocationNotInPodiumError,
  ERR_LOC_ORG_MISMATCH: OrganizationMismatchError,
  ERR_LOC_ALREADY_ONBOARDED: AlreadyOnboardedError,
  ERR_LOC_EVENT_SIGNATURE: EventSignatureError,
  ERR_LOC_EVENT_STALE: EventStaleError,
  ERR_LOC_EVENT_REPLAYED: EventReplayedError,
  ERR_LOC_EVENT_TOO_LARGE: EventTooLargeError,
  ERR_LOC_EVENT_MALFORMED: EventMalformedError,
  ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN: EventSubscriptionUnknownError,
  ERR_LOC_EVENT_STORE_UNAVAILABLE: EventStoreUnavailableError,
  ERR_LOC_EVENT_CURSOR_EXPIRED: EventCursorExpiredError,
  ERR_LOC_NOT_OWNED: ResourceNotOwnedError,
});

/** True when `code` is one of the catalogued `ERR_LOC_*` codes. */
export function isCoreErrorCode(code: unknown): code is CoreErrorCode {
  return typeof code === "string" && code.startsWith(CODE_PREFIX) && Object.hasOwn(errorCatalog, code);
}

/**
 * True for any error carrying a catalogued `ERR_LOC_*` code, whichever copy of this module made it;
 * checks the code, not `instanceof`, so errors rebuilt by the client or from another bundle match too.
 */
export function isCoreError(e: unknown): e is CoreError {
  if (typeof e !== "object" || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return isCoreErrorCode(code) && typeof message === "string";
}

/**
 * `err` when it already names the context's location and request id; otherwise a copy with the same code,
 * message, cause and stack that names them too. Never changes `err`: one error may reach several callers (a
 * single-flight verification or token refresh), each with its own request id.
 */
export function withErrorContext(err: CoreError, context: Pick<CoreErrorContext, "locationUid" | "requestId">): CoreError {
  const locationUid = err.locationUid ?? context.locationUid;
  const requestId = err.requestId ?? context.requestId;
  if (locationUid === err.locationUid && requestId === err.requestId) return err;
  const { retryAfterMs, upstreamStatus, cause } = err;
  const copy = coreErrorFromCode(err.code, { locationUid, requestId, retryAfterMs, upstreamStatus, cause }, err.message);
  if (err.stack !== undefined) copy.stack = err.stack;
  return copy;
}

/**
 * Rebuilds the typed error for a code received from the wire (used by the client SDK).
 * `message`, when given, is kept verbatim (the server already built it); an unknown code yields an
 * InternalError naming it, so a newer server never crashes an older client.
 */
export function coreErrorFromCode(code: string, context: CoreErrorContext = {}, message?: string): CoreError {
  if (!isCoreErrorCode(code)) {
    const err = new InternalError(context, `unknown error code ${JSON.stringify(code.slice(0, 64))}`);
    if (message !== undefined) err.message = `${message} (${err.message})`;
    return err;
  }
  const err = new errorClasses[code](context);
  if (message !== undefined) err.message = message;
  return err;
}
