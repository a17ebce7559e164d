/**
 * A hand-written LocationRouter for server tests: no upstream, every behaviour scripted by the path.
 *   /v4/echo[?...]        → 200 with the call (minus body) as JSON
 *   /v4/fail/<ERR_LOC_*>  → throws that core error (rate limits carry retryAfterMs 1500)
 *   /v4/slow?ms=N         → answers after N ms, or rejects with the signal's reason when aborted
 *   /v4/throw             → throws a plain Error whose message must never reach the wire
 * It records what the server handed it (calls with their context, refusals), so tests can assert on both.
 */
import type {
  AuthorizationRequest,
  PendingAuthorization,
  AuditQuery,
  AuditRecord,
  CallContext,
  LocationRouter,
  LocationStatus,
  LocationSummary,
  OnboardingInput,
  OnboardingOptions,
  OnboardingResult,
  Refusal,
  RoutedCall,
  RoutedResponse,
  VerifyResult,
} from "@podium-router/core";
import { BadRequestError, errorClasses, isCoreErrorCode, UnknownLocationError } from "@podium-router/errors";

export const SYDNEY = "loc-sydney";
export const BURLEIGH = "loc-burleigh";

/** The fake plus what it recorded. */
export interface FakeLocationRouter extends LocationRouter {
  readonly calls: { call: RoutedCall; ctx: CallContext | undefined }[];
  readonly refusals: Refusal[];
  /** Every onboarding input the server handed over, as it arrived. */
  readonly onboardingInputs: OnboardingInput[];
  readonly closed: boolean;
  /** Resolves when a /v4/slow call has started (for shutdown tests). */
  slowStarted(): Promise<void>;
}

export function createFakeLocationRouter(): FakeLocationRouter {
  const locations = new Map<string, string>([
    [SYDNEY, "coastal-smiles"],
    [BURLEIGH, "coastal-smiles"],
  ]);
  const calls: FakeLocationRouter["calls"] = [];
  const refusals: Refusal[] = [];
  const onboardingInputs: OnboardingInput[] = [];
  const consents = new Map<string, { locationUid: string; orgSlug: string; done?: boolean }>();
  let closed = false;
  let onSlow: () => void = () => {};
  let slowStarted = new Promise<void>((r) => (onSlow = r));
  const known = (uid: string): string => {
    const org = locations.get(uid);
    if (org === undefined) throw new UnknownLocationError({ locationUid: uid });
    return org;
  };

  return {
    calls,
    refusals,
    onboardingInputs,
    get closed() {
      return closed;
    },
    slowStarted: () => slowStarted,

    async call(call: RoutedCall, ctx?: CallContext): Promise<RoutedResponse> {
      calls.push({ call, ctx });
      known(call.locationUid);
      const url = new URL(call.path, "http://podium.invalid");
      const requestId = call.requestId ?? "generated-id";
      const ctxOut = { locationUid: call.locationUid, requestId };
      if (url.pathname.startsWith("/v4/fail/")) {
        const code = url.pathname.slice("/v4/fail/".length);
        if (!isCoreErrorCode(code)) throw new Error(`fake: no such code ${code}`);
        throw new errorClasses[code]({ ...ctxOut, retryAfterMs: code === "ERR_LOC_RATE_LIMITED" ? 1500 : undefined });
      }
      if (url.pathname === "/v4/throw") throw new Error("secret internals: pg password=hunter2");
      if (url.pathname === "/v4/slow") {
        const ms = Number(url.searchParams.get("ms") ?? "1000");
        onSlow();
        slowStarted = new Promise<void>((r) => (onSlow = r));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          ctx?.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(ctx.signal?.reason);
          });
        });
      }
      const body = JSON.stringify({ method: call.method, path: call.path, hasBody: (call.body ?? "") !== "" });
      return { status: 200, body, headers: { "content-type": "application/json" }, requestId, latencyMs: 1.5 };
    },

    async verifyLocation(uid: string, opts?: { force?: boolean; ctx?: CallContext }): Promise<VerifyResult> {
      return { locationUid: uid, orgSlug: known(uid), state: "verified", verifiedAt: 1_700_000_000_000, cached: opts?.force !== true };
    },

    async listLocations(filter?: { orgSlug?: string }): Promise<LocationSummary[]> {
      return [...locations]
        .filter(([, org]) => filter?.orgSlug === undefined || org === filter.orgSlug)
        .map(([locationUid, orgSlug]) => ({ locationUid, orgSlug, state: "active" as const, verifiedAt: 1_700_000_000_000 }))
        .sort((a, b) => a.locationUid.localeCompare(b.locationUid));
    },

    async getLocationStatus(uid: string): Promise<LocationStatus> {
      return {
        locationUid: uid,
        orgSlug: known(uid),
        state: "active",
        verifiedAt: 1_700_000_000_000,
        verificationState: "verified",
        verificationExpiresAt: 1_700_003_600_000,
        budget: { available: 19, capacity: 20, refillPerSecond: 2, quotaGroup: "cred-1" },
        authState: "valid",
        accessTokenExpiresAt: 1_700_000_900_000,
      };
    },

    async removeLocation(uid: string): Promise<void> {
      known(uid);
      locations.delete(uid);
    },

    async *onboardLocations(inputs: OnboardingInput[], opts?: OnboardingOptions): AsyncIterable<OnboardingResult> {
      onboardingInputs.push(...inputs.map((i) => ({ ...i })));
      for (const input of inputs) {
        if (locations.has(input.locationUid)) yield { locationUid: input.locationUid, outcome: "skipped_existing", message: "already onboarded" };
        else if (opts?.dryRun === true) yield { locationUid: input.locationUid, outcome: "checked", message: "checked" };
        else {
          locations.set(input.locationUid, input.orgSlug);
          yield { locationUid: input.locationUid, outcome: "onboarded", message: `onboarded by ${opts?.caller ?? "?"}` };
        }
      }
    },

    async *queryAudit(query: AuditQuery): AsyncIterable<AuditRecord> {
      const all: AuditRecord[] = [SYDNEY, BURLEIGH].map((uid, i) => ({
        ts: new Date(1_700_000_000_000 + i * 1000).toISOString(),
        location_uid: uid,
        org_slug: "coastal-smiles",
        endpoint: "/v4/contacts",
        method: "GET",
        status: 200,
        request_id: `req-${i}`,
        latency_ms: 12.5,
        caller: "ops",
      }));
      for (const rec of all) if (query.locationUid === undefined || rec.location_uid === query.locationUid) yield rec;
    },

    // Onboarding by consent: each begin issues a state; completing it (any code) onboards the location.
    async beginAuthorization(request: AuthorizationRequest): Promise<PendingAuthorization> {
      const state = `fake-state-${consents.size + 1}`;
      consents.set(state, { locationUid: request.locationUid, orgSlug: request.orgSlug });
      return { locationUid: request.locationUid, authorizeUrl: `https://podium.invalid/oauth/authorize?state=${state}`, state, expiresAt: 1_700_000_600_000, redirectUri: request.redirectUri };
    },

    async completeAuthorization(state: string): Promise<OnboardingResult> {
      const consent = consents.get(state);
      if (consent === undefined || consent.done) throw new BadRequestError({}, "unknown or used authorization state");
      consent.done = true;
      locations.set(consent.locationUid, consent.orgSlug);
      return { locationUid: consent.locationUid, outcome: "onboarded", message: "onboarded by consent" };
    },

    async awaitAuthorization(state: string): Promise<OnboardingResult> {
      const consent = consents.get(state);
      if (consent === undefined) throw new BadRequestError({}, "unknown authorization state");
      return { locationUid: consent.locationUid, outcome: "onboarded", message: "onboarded by consent" };
    },

    peekAuthorization(state: string) {
      const consent = consents.get(state);
      return consent === undefined ? undefined : { locationUid: consent.locationUid, expiresAt: 1_700_000_600_000 };
    },

    recordRefusal(refusal: Refusal): void {
      refusals.push(refusal);
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}
