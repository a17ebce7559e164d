import { performance } from "node:perf_hooks";
import { type AuditLog, type AuditQuery, type AuditRecord, createAuditLog } from "../audit/index.js";
import { createConsentOnboarding, type OnboardingInput, type OnboardingOptions, type OnboardingResult, onboardLocations } from "../onboarding/index.js";
import { createCredentialStore, type CredentialStore, type LocationRecord } from "../credentials/index.js";
import {
  BadRequestError,
  InternalError,
  isCoreError,
  LocationDeletedError,
  LocationRateLimitedError,
  UnknownLocationError,
  type CoreError,
} from "../errors.js";
import { createLiveLocation, type LiveLocation } from "./live-location.js";
import { withAuthRetry } from "../oauth/index.js";
import { guardRequest, matchRoute } from "../isolation/index.js";
import type { CallContext, LocationRouter, LocationStatus, LocationSummary, Refusal, RoutedCall, RoutedResponse, VerifyResult } from "./location-router-api.js";
import type { LocationVerifier } from "../verification/index.js";
import { noopLogger, type CoreLogger } from "../util/index.js";
import type { RateBudgets } from "../budgets/index.js";
import { createStateBackend } from "./create-state-backend.js";
import { newRequestId, validateRequestId } from "../ids.js";
import { createUpstreamClient, retryDelayMs, type UpstreamClient, type UpstreamResponse } from "../upstream/index.js";
import type { RouterObserver } from "./router-observer.js";
import type { Settings } from "../settings/index.js";

/** Everything the router needs; each part defaults to the embedded implementation built from settings. */
export interface LocationRouterDeps {
  settings: Settings;
  store?: CredentialStore;
  audit?: AuditLog;
  upstream?: UpstreamClient;
  budgets?: RateBudgets;
  verifier?: LocationVerifier;
  logger?: CoreLogger;
  observer?: RouterObserver;
  /** Environment for `env:` credential references. @default process.env */
  env?: Record<string, string | undefined>;
}

/** The live router plus the parts the server and tests reach into. */
export interface LocationRouterHandle extends LocationRouter {
  readonly settings: Settings;
  readonly store: CredentialStore;
  readonly audit: AuditLog;
}

/**
 * Builds the routing core: loads the registered locations (lazily: no secret is resolved and no
 * token fetched at start-up) and returns the router. One call flows
 * unknown? → deleted? → guard (path, body, location fields) → budget → verify (cached) → token → send → audit.
 */
export async function createLocationRouter(deps: LocationRouterDeps): Promise<LocationRouterHandle> {
  const { settings } = deps;
  const env = deps.env ?? process.env;
  const logger = deps.logger ?? noopLogger;
  const observer = deps.observer ?? {};
  // Budgets, verification cache and refresh lock: in memory, or shared with other replicas via Redis.
  const state = createStateBackend(settings, { observer, logger });
  const store = state.wrapStore(deps.store ?? (await createCredentialStore(settings.credentials, env)));
  const audit = deps.audit ?? createAuditLog(settings.audit);
  const upstream = deps.upstream ?? createUpstreamClient(settings.upstream);
  const budgets = deps.budgets ?? state.budgets;
  const verifier = deps.verifier ?? state.verifier;
  const maxBodyBytes = settings.upstream.maxRequestBodyBytes;

  const live = new Map<string, LiveLocation>();
  const addLive = (record: LocationRecord, auth?: Awaited<ReturnType<LiveLocation["auth"]>>): LiveLocation => {
    const loc = createLiveLocation(record, { settings, store, upstream, env, auth, onRefresh: observer.refresh });
    live.set(record.locationUid, loc);
    return loc;
  };
  for (const record of await store.list()) addLive(record);

  let closing = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };

  /** The one place an audit line is built: the fixed fields, then caller and error_code when present. */
  const writeAudit = (ts: string, locationUid: string, endpoint: string, method: string, status: number, requestId: string, latencyMs: number, caller?: string, errorCode?: string): void => {
    const rec: AuditRecord = {
      ts,
      location_uid: locationUid,
      org_slug: live.get(locationUid)?.record.orgSlug ?? "",
      endpoint,
      method,
      status,
      request_id: requestId,
      latency_ms: latencyMs,
    };
    if (caller) rec.caller = caller;
    if (errorCode) rec.error_code = errorCode;
    audit.append(rec);
  };

  /** Podium said 404 for the location itself: mark it deleted, say so once, send nothing more for it. */
  const markDeleted = async (loc: LiveLocation, requestId: string): Promise<void> => {
    if (loc.record.state === "deleted") return;
    const record = await store.update(loc.record.locationUid, { state: "deleted" });
    addLive(record);
    budgets.remove(record.locationUid);
    logger.error(
      { location_uid: record.locationUid, org_slug: record.orgSlug, request_id: requestId, error_code: "ERR_LOC_DELETED" },
      "Podium reports this location deleted (404); it is marked deleted and no further calls are sent for it. Remove it with `podium-router locations remove` once confirmed.",
    );
  };

  const verify = async (loc: LiveLocation, requestId: string, force: boolean, signal?: AbortSignal) => {
    try {
      const result = await verifier.verify(loc.verifyTarget(requestId), { force, signal });
      observer.verification?.(result.cached);
      if (result.organizationUid && result.organizationUid !== loc.record.organizationUid) {
        // Learned once; the guard needs it to check organizationUid fields.
        addLive(await store.update(loc.record.locationUid, { organizationUid: result.organizationUid }));
      }
      return result;
    } catch (err) {
      if (isCoreError(err) && err.code === "ERR_LOC_DELETED") await markDeleted(loc, requestId);
      if (isCoreError(err) && err.code === "ERR_LOC_NOT_IN_SCOPE") {
        logger.error(
          { location_uid: loc.record.locationUid, org_slug: loc.record.orgSlug, request_id: requestId, error_code: err.code },
          "Location is not in its credential's scope; calls for it are refused until it is re-authorized.",
        );
      }
      throw err;
    }
  };

  const send = async (loc: LiveLocation, method: string, path: string, body: string | undefined, requestId: string, ctx: CallContext): Promise<UpstreamResponse> => {
    const auth = await loc.auth();
    return withAuthRetry(auth, (accessToken: string) =>
      upstream.request({ method, path, body, accessToken, requestId, deadline: ctx.deadline, signal: ctx.signal }),
      { signal: ctx.signal, deadline: ctx.deadline },
    );
  };

  async function routeCall(call: RoutedCall, ctx: CallContext): Promise<RoutedResponse> {
    const t0 = performance.now();
    const ts = new Date().toISOString();
    let requestId = "";
    let endpoint = "";
    let status = 0;
    let errorCode: string | undefined;
    let loc: LiveLocation | undefined;
    try {
      requestId = call.requestId ? validateRequestId(call.requestId) : newRequestId();
      if (closing) throw new InternalError({ requestId }, "the router is shutting down; retry against another replica");
      loc = live.get(call.locationUid);
      if (!loc) throw new UnknownLocationError({ locationUid: call.locationUid, requestId });
      const uid = loc.record.locationUid;
      if (loc.record.state === "deleted") throw new LocationDeletedError({ locationUid: uid, requestId });
      const req = guardRequest(call, { locationUid: uid, organizationUid: loc.record.organizationUid }, { maxBodyBytes });
      // The guard matched the route already; only refusals before it need endpointOf() below.
      endpoint = req.route ?? endpointOf(req.method, req.pathname);

      const waitStart = performance.now();
      await budgets.acquire(uid, loc.quotaGroup, { deadline: ctx.deadline, signal: ctx.signal, requestId, method: req.method });
      observer.budgetWait?.(performance.now() - waitStart);
      await verify(loc, requestId, false, ctx.signal);

      const path = req.search ? `${req.pathname}${req.search}` : req.pathname;
      const upstreamStart = performance.now();
      const res = await send(loc, req.method, path, req.body, requestId, ctx);
      status = res.status;
      observer.upstreamLatency?.(performance.now() - upstreamStart, res.status);

      if (res.status === 429) {
        // Podium's quota is spent: pause this location and its credential instead of sending more.
        const delay = retryDelayMs(res.headers, Date.now());
        budgets.pause(uid, loc.quotaGroup, Date.now() + delay);
        throw new LocationRateLimitedError({ locationUid: uid, requestId, retryAfterMs: delay, upstreamStatus: 429 }, "Podium answered 429");
      }
      if (res.status === 404 && req.route === "/v4/locations/{uid}") {
        await markDeleted(loc, requestId);
        throw new LocationDeletedError({ locationUid: uid, requestId, upstreamStatus: 404 });
      }
      if (res.status === 403) {
        // A 403 may mean the location left the token's scope (failure 5): re-verify now, loudly.
        await verify(loc, requestId, true, ctx.signal);
      }
      return { status: res.status, body: res.body, headers: res.headers, requestId, latencyMs: performance.now() - t0 };
    } catch (err) {
      const coreErr = asCoreError(err, call.locationUid, requestId);
      if (endpoint === "") endpoint = endpointOf(String(call.method), String(call.path));
      errorCode = coreErr.code;
      if (coreErr.upstreamStatus) status = coreErr.upstreamStatus;
      if (errorCode === "ERR_LOC_RATE_LIMITED") observer.budgetRefused?.();
      throw coreErr;
    } finally {
      writeAudit(ts, call.locationUid, endpoint, call.method, status, requestId, round2(performance.now() - t0), ctx.caller, errorCode);
      observer.callOutcome?.(errorCode ?? "OK");
    }
  }

  /** An administrative operation's audit line: endpoint names the RPC; nothing else changes shape. */
  const auditAdmin = (rpc: string, locationUid: string, requestId: string, t0: number, ctx: CallContext | undefined, errorCode?: string, status = 0): void => {
    writeAudit(new Date().toISOString(), locationUid, `router:${rpc}`, "RPC", status, requestId, round2(performance.now() - t0), ctx?.caller, errorCode);
  };

  // Onboarding by consent ends in the normal onboarding path for its one location.
  const consent = createConsentOnboarding({
    settings,
    upstream,
    env,
    store,
    isLive: (uid) => live.has(uid),
    async onboard(input, caller) {
      for await (const result of router.onboardLocations([input], { caller })) return result;
      throw new InternalError({ locationUid: input.locationUid }, "onboarding returned no result");
    },
    audit: (rpc, uid, requestId, t0, caller, errorCode) => auditAdmin(rpc, uid, requestId, t0, { caller }, errorCode, errorCode ? 0 : 200),
  });

  const router: LocationRouterHandle = {
    settings,
    store,
    audit,
    call(call, ctx = {}) {
      return track(routeCall(call, ctx));
    },

    async verifyLocation(locationUid, opts = {}): Promise<VerifyResult> {
      const requestId = newRequestId();
      const loc = live.get(locationUid);
      if (!loc) throw new UnknownLocationError({ locationUid, requestId });
      if (loc.record.state === "deleted") throw new LocationDeletedError({ locationUid, requestId });
      const r = await verify(loc, requestId, opts.force ?? false, opts.ctx?.signal);
      return { locationUid, orgSlug: loc.record.orgSlug, state: "verified", verifiedAt: r.verifiedAt, cached: r.cached };
    },

    async listLocations(filter = {}): Promise<LocationSummary[]> {
      const out: LocationSummary[] = [];
      for (const loc of live.values()) {
        if (filter.orgSlug && loc.record.orgSlug !== filter.orgSlug) continue;
        const peek = verifier.peek(loc.record.locationUid);
        out.push({
          locationUid: loc.record.locationUid,
          orgSlug: loc.record.orgSlug,
          state: loc.record.state,
          verifiedAt: peek.verifiedAt ?? parseTime(loc.record.verifiedAt),
        });
      }
      return out.sort((a, b) => (a.locationUid < b.locationUid ? -1 : a.locationUid > b.locationUid ? 1 : 0));
    },

    async getLocationStatus(locationUid): Promise<LocationStatus> {
      const loc = live.get(locationUid);
      if (!loc) throw new UnknownLocationError({ locationUid });
      const peek = verifier.peek(locationUid);
      const auth = loc.peekAuth()?.state() ?? { authState: "no_token" as const };
      return {
        locationUid,
        orgSlug: loc.record.orgSlug,
        state: loc.record.state,
        verifiedAt: peek.verifiedAt ?? parseTime(loc.record.verifiedAt),
        verificationState: loc.record.state === "deleted" ? "deleted" : peek.state,
        verificationExpiresAt: peek.expiresAt,
        budget: budgets.snapshot(locationUid, loc.quotaGroup),
        authState: auth.authState,
        accessTokenExpiresAt: auth.expiresAt,
      };
    },

    async removeLocation(locationUid, ctx) {
      const t0 = performance.now();
      const requestId = newRequestId();
      if (!live.has(locationUid) && !(await store.get(locationUid))) {
        auditAdmin("RemoveLocation", locationUid, requestId, t0, ctx, "ERR_LOC_UNKNOWN");
        throw new UnknownLocationError({ locationUid, requestId });
      }
      auditAdmin("RemoveLocation", locationUid, requestId, t0, ctx, undefined, 200);
      await store.remove(locationUid);
      live.delete(locationUid);
      budgets.remove(locationUid);
      verifier.forget(locationUid);
    },

    onboardLocations(inputs: OnboardingInput[], opts: OnboardingOptions = {}): AsyncIterable<OnboardingResult> {
      return onboardLocations(inputs, opts, {
        settings,
        store,
        upstream,
        env,
        isLive: (uid) => live.has(uid),
        addLive: (record, auth) => {
          addLive(record, auth);
        },
        audit: (uid, requestId, t0, errorCode) => auditAdmin("OnboardLocations", uid, requestId, t0, { caller: opts.caller }, errorCode, errorCode ? 0 : 200),
      });
    },

    queryAudit(query: AuditQuery, ctx?: CallContext): AsyncIterable<AuditRecord> {
      // A query of the audit is itself audited: who asked for which location.
      auditAdmin("QueryAudit", query.locationUid ?? "*", newRequestId(), performance.now(), ctx, undefined, 200);
      return audit.query(query);
    },

    reopenAudit() {
      return audit.reopen();
    },

    recordRefusal(refusal: Refusal) {
      const endpoint = refusal.path.startsWith("/") ? endpointOf(refusal.method, refusal.path) : `router:${refusal.path}`;
      writeAudit(new Date().toISOString(), refusal.locationUid, endpoint, refusal.method, 0, refusal.requestId, 0, refusal.caller, refusal.errorCode);
    },

    beginAuthorization: (request, ctx) => consent.beginAuthorization(request, { caller: ctx?.caller }),
    completeAuthorization: (state, callback) => consent.completeAuthorization(state, callback),
    awaitAuthorization: (state, signal) => consent.awaitAuthorization(state, signal),
    peekAuthorization: (state) => consent.peekAuthorization(state),

    async close() {
      closing = true;
      consent.close();
      await Promise.allSettled([...inFlight]);
      await audit.close();
      budgets.close();
      await state.close();
      await upstream.close();
      await store.close();
    },
  };
  return router;
}

/** The route template for the audit line: never a raw identifier (phone, email) and never a query. */
function endpointOf(method: string, path: string): string {
  const q = path.indexOf("?");
  const pathname = q === -1 ? path : path.slice(0, q);
  const m = matchRoute(method.toUpperCase(), pathname);
  if (m) return m.route.template;
  // Unknown route: keep only the literal prefix so no identifier can leak.
  // Podium's resource names are lower-case words ("contacts", "campaign_interactions"); anything else
  // in that position could be an identifier, so it is not written.
  const first = pathname.startsWith("/v4/") ? (pathname.split("/")[2] ?? "") : "";
  return /^[a-z_]{1,40}$/.test(first) ? `/v4/${first}/{unmatched}` : "{invalid}";
}

function asCoreError(err: unknown, locationUid: string, requestId: string): CoreError {
  if (isCoreError(err)) {
    err.locationUid ??= locationUid;
    if (requestId) err.requestId ??= requestId;
    return err;
  }
  if (err instanceof SyntaxError) return new BadRequestError({ locationUid, requestId, cause: err }, err.message);
  return new InternalError({ locationUid, requestId, cause: err });
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const parseTime = (iso: string | undefined): number | undefined => (iso ? Date.parse(iso) : undefined);

