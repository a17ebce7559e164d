import { describe, expect, it } from "vitest";
import {
  AlreadyOnboardedError,
  BadRequestError,
  AuditUnavailableError,
  BudgetUnavailableError,
  ConsentLimitError,
  CoreError,
  coreErrorFromCode,
  CredentialError,
  DeadlineExceededError,
  errorCatalog,
  EventCursorExpiredError,
  ResourceNotOwnedError,
  EventMalformedError,
  EventReplayedError,
  EventSignatureError,
  EventStaleError,
  EventStoreUnavailableError,
  EventSubscriptionUnknownError,
  EventTooLargeError,
  errorClasses,
  InternalError,
  InvalidConfigError,
  isCoreError,
  LocationAuthError,
  LocationDeletedError,
  LocationMismatchError,
  LocationNotInPodiumError,
  LocationNotInScopeError,
  LocationRateLimitedError,
  OnboardingPartialError,
  OrganizationMismatchError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnknownLocationError,
  UpstreamUnavailableError,
  withErrorContext,
} from "./errors.js";
import type { CoreErrorCode, CoreErrorContext } from "./errors.js";

type Ctor = new (context?: CoreErrorContext, detail?: string) => CoreError;

// The table of docs/ARCHITECTURE.md "Errors": class, code, HTTP-ish status.
const scenarios: Array<[Ctor, CoreErrorCode, number]> = [
  [UnknownLocationError, "ERR_LOC_UNKNOWN", 404],
  [LocationNotInScopeError, "ERR_LOC_NOT_IN_SCOPE", 403],
  [LocationDeletedError, "ERR_LOC_DELETED", 404],
  [LocationMismatchError, "ERR_LOC_MISMATCH", 400],
  [BadRequestError, "ERR_LOC_BAD_REQUEST", 400],
  [LocationRateLimitedError, "ERR_LOC_RATE_LIMITED", 429],
  [LocationAuthError, "ERR_LOC_AUTH", 401],
  [UpstreamUnavailableError, "ERR_LOC_UPSTREAM_UNAVAILABLE", 503],
  [OnboardingPartialError, "ERR_LOC_ONBOARDING_PARTIAL", 207],
  [CredentialError, "ERR_LOC_CREDENTIAL", 400],
  [InvalidConfigError, "ERR_LOC_CONFIG", 500],
  [UnauthenticatedError, "ERR_LOC_UNAUTHENTICATED", 401],
  [PermissionDeniedError, "ERR_LOC_PERMISSION_DENIED", 403],
  [DeadlineExceededError, "ERR_LOC_DEADLINE_EXCEEDED", 504],
  [BudgetUnavailableError, "ERR_LOC_BUDGET_UNAVAILABLE", 503],
  [ConsentLimitError, "ERR_LOC_CONSENT_LIMIT", 429],
  [AuditUnavailableError, "ERR_LOC_AUDIT_UNAVAILABLE", 503],
  [InternalError, "ERR_LOC_INTERNAL", 500],
  [LocationNotInPodiumError, "ERR_LOC_NOT_IN_PODIUM", 404],
  [OrganizationMismatchError, "ERR_LOC_ORG_MISMATCH", 409],
  [AlreadyOnboardedError, "ERR_LOC_ALREADY_ONBOARDED", 409],
  [EventSignatureError, "ERR_LOC_EVENT_SIGNATURE", 401],
  [EventStaleError, "ERR_LOC_EVENT_STALE", 401],
  [EventReplayedError, "ERR_LOC_EVENT_REPLAYED", 409],
  [EventTooLargeError, "ERR_LOC_EVENT_TOO_LARGE", 413],
  [EventMalformedError, "ERR_LOC_EVENT_MALFORMED", 400],
  [EventSubscriptionUnknownError, "ERR_LOC_EVENT_SUBSCRIPTION_UNKNOWN", 404],
  [EventStoreUnavailableError, "ERR_LOC_EVENT_STORE_UNAVAILABLE", 503],
  [EventCursorExpiredError, "ERR_LOC_EVENT_CURSOR_EXPIRED", 410],
  [ResourceNotOwnedError, "ERR_LOC_NOT_OWNED", 403],
];

describe("CoreError subclasses", () => {
  it("cover every catalogued code exactly once", () => {
    expect(scenarios.map(([, code]) => code).sort()).toEqual(Object.keys(errorCatalog).sort());
    expect(Object.keys(errorClasses).sort()).toEqual(Object.keys(errorCatalog).sort());
  });

  const rows = scenarios.map(([Cls, code, httpStatus]) => ({ name: Cls.name, Cls, code, httpStatus }));
  describe.each(rows)("$name", ({ Cls, code, httpStatus }) => {
    const { title, action } = errorCatalog[code];

    it(`has code ${code}, status ${httpStatus} and a message with the title and the action`, () => {
      const err = new Cls({ locationUid: "loc-123", requestId: "req-1" }, "detail here");
      expect(err.code).toBe(code);
      expect(err.httpStatus).toBe(httpStatus);
      expect(errorCatalog[code].httpStatus).toBe(httpStatus);
      expect(err.name).toBe(Cls.name);
      expect(err.message).toBe(`${title}: detail here. ${action}`);
      expect(err.message).toContain(action);
      expect(err.locationUid).toBe("loc-123");
      expect(err.requestId).toBe("req-1");
    });

    it("is an Error and a CoreError, and isCoreError() says so", () => {
      const err = new Cls();
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(CoreError);
      expect(err).toBeInstanceOf(Cls);
      expect(isCoreError(err)).toBe(true);
      expect(err.message).toBe(`${title}. ${action}`);
    });

    it("round-trips through coreErrorFromCode() with the same class, code, message and context", () => {
      const original = new Cls({ locationUid: "loc-9", requestId: "r-9", retryAfterMs: 1500 }, "why");
      const rebuilt = coreErrorFromCode(original.code, { locationUid: "loc-9", requestId: "r-9", retryAfterMs: 1500 }, original.message);
      expect(rebuilt).toBeInstanceOf(Cls);
      expect(rebuilt.code).toBe(code);
      expect(rebuilt.message).toBe(original.message);
      expect(rebuilt.toJSON()).toEqual(original.toJSON());
    });
  });
});

describe("CoreError", () => {
  it("builds the message as <title>: <detail>. <action>, defaulting the detail to the location uid", () => {
    expect(new UnknownLocationError({ locationUid: "loc-123" }).message).toBe(
      "Location is not registered: loc-123. Onboard it with `podium-router onboard`, or fix the location_uid; there is no default location.",
    );
    expect(new InvalidConfigError({}, "budgets.location.burst must be an integer >= 1.").message).toBe(
      "Invalid settings: budgets.location.burst must be an integer >= 1. Fix the settings file or the PODIUM_ROUTER_* environment override, then restart.",
    );
  });

  it("keeps the cause and the typed context", () => {
    const cause = new Error("socket hang up");
    const err = new LocationRateLimitedError({ locationUid: "a", retryAfterMs: 250, upstreamStatus: 429, cause });
    expect(err.cause).toBe(cause);
    expect(err.retryAfterMs).toBe(250);
    expect(err.upstreamStatus).toBe(429);
    expect("cause" in new InternalError()).toBe(false);
  });

  it("serialises to code, message and safe context only, never the cause", () => {
    const cause = Object.assign(new Error("upstream said no"), { token: "secret-access-token" });
    const err = new LocationAuthError({ locationUid: "loc-1", requestId: "r1", retryAfterMs: 10, upstreamStatus: 401, cause });
    expect(err.toJSON()).toEqual({ code: "ERR_LOC_AUTH", message: err.message, locationUid: "loc-1", requestId: "r1", retryAfterMs: 10 });
    expect(JSON.stringify(err)).not.toContain("secret-access-token");
    expect(new InternalError().toJSON()).toEqual({ code: "ERR_LOC_INTERNAL", message: new InternalError().message });
  });

  it("adds the location and request id later as a copy, leaving the shared original unchanged", () => {
    const err = new DeadlineExceededError();
    const late = withErrorContext(err, { locationUid: "loc-late", requestId: "req-late" });
    expect(late.toJSON()).toMatchObject({ code: "ERR_LOC_DEADLINE_EXCEEDED", message: err.message, locationUid: "loc-late", requestId: "req-late" });
    expect(late).toBeInstanceOf(DeadlineExceededError);
    expect(err.toJSON()).toEqual({ code: "ERR_LOC_DEADLINE_EXCEEDED", message: err.message });
    const complete = new DeadlineExceededError({ locationUid: "loc-1", requestId: "r1" });
    expect(withErrorContext(complete, { locationUid: "loc-late", requestId: "req-late" })).toBe(complete);
  });
});

describe("isCoreError()", () => {
  it("matches plain objects carrying a catalogued code, as rebuilt by another copy of the module", () => {
    expect(isCoreError({ code: "ERR_LOC_UNKNOWN", message: "x" })).toBe(true);
    expect(isCoreError(Object.assign(new Error("x"), { code: "ERR_LOC_MISMATCH" }))).toBe(true);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "ERR_LOC_UNKNOWN"],
    ["a plain Error", new Error("x")],
    ["an undici error", Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" })],
    ["an uncatalogued ERR_LOC_ code", { code: "ERR_LOC_NOPE", message: "x" }],
    ["a code without a message", { code: "ERR_LOC_UNKNOWN" }],
    ["an inherited code name", { code: "toString", message: "x" }],
  ])("rejects %s", (_label, value) => {
    expect(isCoreError(value)).toBe(false);
  });
});

describe("coreErrorFromCode()", () => {
  it("builds the default message when none is given", () => {
    const err = coreErrorFromCode("ERR_LOC_DELETED", { locationUid: "loc-7" });
    expect(err).toBeInstanceOf(LocationDeletedError);
    expect(err.message).toBe(new LocationDeletedError({ locationUid: "loc-7" }).message);
  });

  it("turns an unknown code into an InternalError naming the code, keeping the message", () => {
    const err = coreErrorFromCode("ERR_LOC_FROM_THE_FUTURE", { requestId: "r" }, "something new");
    expect(err).toBeInstanceOf(InternalError);
    expect(err.code).toBe("ERR_LOC_INTERNAL");
    expect(err.message).toContain("something new");
    expect(err.message).toContain("ERR_LOC_FROM_THE_FUTURE");
    expect(err.requestId).toBe("r");
  });
});
