import { performance } from "node:perf_hooks";
import type { RecordCallAudit } from "../audit/index.js";
import type { RateBudgets } from "../budgets/index.js";
import { BadRequestError, DeadlineExceededError, InternalError, isCoreError, LocationDeletedError, UnknownLocationError, withErrorContext, type CoreError } from "@podium-router/errors";
import { isRequestId, newRequestId, validateRequestId } from "../ids.js";
import { checkAnswer, guardRequest, planIsolation, type CursorBinder, type GuardedRequest, type IsolationPlan, type IsolationTarget } from "../isolation/index.js";
import type { UpstreamClient, UpstreamResponse } from "../upstream/index.js";
import type { LiveLocation } from "./live-location.js";
import type { LiveLocations } from "./live-locations.js";
import type { CallContext, RoutedCall, RoutedResponse } from "./location-router-api.js";
import { mayActForOrganization } from "./organization-grant.js";
import type { OwnershipGate } from "./ownership-gate.js";
import { pauseForRateLimit, requestAsLocation } from "./location-request.js";
import { waitFor } from "../util/index.js";
import type { RouterObserver } from "./router-observer.js";

export interface CallPipelineDeps {
  live: LiveLocations;
  budgets: RateBudgets;
  upstream: UpstreamClient;
  observer: RouterObserver;
  /** settings.upstream.maxRequestBodyBytes */
  maxBodyBytes: number;
  /** settings.upstream.maxRequestBodyDepth */
  maxBodyDepth: number;
  /** The router's one audit writer; see RecordCallAudit for the promises it returns. */
  recordAudit: RecordCallAudit;
  /** True once the router is closing: new calls are refused. */
  isClosing(): boolean;
  /** Paging cursors bound to the location that listed them (isolation.cursor_key). */
  cursors: CursorBinder;
  /** Owners of the resources owned-class calls address, and the contact upsert check. */
  ownership: OwnershipGate;
}

/** What the call's audit line will say, filled in as the call gets further. */
interface CallLine {
  requestId: string;
  /** The route template, once the guard has matched it. */
  route: string | undefined;
  status: number;
  errorCode: string | undefined;
}

/**
 * One routed call, in one direction:
 *   unknown? → deleted? → guard → isolation plan → budget → verify → owners → intent → token → send → answer → audit.
 * Every step either passes the call on or throws a CoreError; whatever happens, the `finally` writes exactly
 * one audit line. Nothing that costs quota or reaches Podium runs before the guard has passed.
 */
export function createCallPipeline(deps: CallPipelineDeps): (call: RoutedCall, ctx: CallContext) => Promise<RoutedResponse> {
  const { live, budgets, upstream, observer } = deps;

  return async function routeCall(call, ctx) {
    const t0 = performance.now();
    const ts = new Date().toISOString();
    const line: CallLine = { requestId: "", route: undefined, status: 0, errorCode: undefined };
    // Contact identifiers an upserting write holds from its check until Podium answered (ownership-gate.ts checkWrite).
    let releaseIdentifiers: (() => void) | undefined;
    try {
      // The caller's id, or one of the router's own: also for a malformed one, which is refused under it, so the
      // audit line and the error name the same id.
      const requestId = (line.requestId = call.requestId && isRequestId(call.requestId) ? call.requestId : newRequestId());
      if (call.requestId) validateRequestId(call.requestId, { locationUid: call.locationUid, requestId });
      if (deps.isClosing()) throw new InternalError({ locationUid: call.locationUid, requestId }, "the router is shutting down; retry against another replica");
      const loc = registered(call.locationUid, requestId);
      const req = guard(call, loc, requestId);
      line.route = req.route;
      // Isolation by ownership, deny by default: the class of the operation decides what must be proven.
      const target: IsolationTarget = {
        locationUid: loc.record.locationUid,
        organizationUid: loc.record.organizationUid,
        orgSlug: loc.record.orgSlug,
        organizationGranted: mayActForOrganization(ctx.organizations, loc.record.orgSlug),
        requestId,
      };
      const plan = planIsolation(req, target, deps.cursors);
      await spendBudget(loc, req, requestId, ctx);
      await live.verify(loc, requestId, false, ctx.signal);
      // Owners are resolved with the location's own credential, after it is verified and before anything is sent.
      if (plan.owner !== undefined) await deps.ownership.checkOwned(loc, req, plan, target.organizationGranted, requestId, ctx);
      // Reads neither upsert a contact nor change an owner: they skip both steps (and their awaits: the hot path).
      const reads = req.method === "GET" || req.method === "HEAD";
      if (!reads) releaseIdentifiers = await deps.ownership.checkWrite(loc, req, requestId, ctx);
      // The audit log may refuse the call (it cannot take lines); a write's intent line is durable before it is sent.
      const intent = deps.recordAudit({ ts, subject: { kind: "call", method: req.method, path: call.path, route: line.route }, locationUid: loc.record.locationUid, requestId, caller: ctx.caller, phase: "sent" });
      if (intent !== undefined) await intentDurable(intent, ctx, loc.record.locationUid, requestId);
      const res = await send(loc, req, plan, requestId, ctx);
      line.status = res.status;
      if (res.status === 429 || res.status === 404 || res.status === 403) await answer(loc, req, res, requestId, ctx);
      let body = res.body;
      if (res.status >= 200 && res.status < 300) {
        if (!reads) await deps.ownership.afterWrite(loc, req, plan);
        // Podium's answer is checked before the caller sees it: another location's object is refused, a list filtered.
        body = checkAnswer(res.body, { route: req.route, plan }, target, deps.cursors);
      }
      if (res.status < 300) live.health.success(loc.record.locationUid);
      return { status: res.status, body, headers: res.headers, requestId, latencyMs: performance.now() - t0 };
    } catch (err) {
      const e = asCoreError(err, call.locationUid, line.requestId);
      line.errorCode = e.code;
      if (live.has(call.locationUid)) live.health.failure(call.locationUid, e, line.requestId);
      if (e.upstreamStatus) line.status = e.upstreamStatus;
      if (e.code === "ERR_LOC_RATE_LIMITED") observer.budgetRefused?.();
      throw e;
    } finally {
      releaseIdentifiers?.();
      // A write's answer is released once its line is durable (audit.fsync: always); if it cannot be, the caller gets ERR_LOC_AUDIT_UNAVAILABLE.
      const durable = deps.recordAudit({
        ts,
        subject: { kind: "call", method: call.method, path: call.path, route: line.route },
        locationUid: call.locationUid,
        requestId: line.requestId,
        status: line.status,
        startedAt: t0,
        caller: ctx.caller,
        errorCode: line.errorCode,
      });
      observer.callOutcome?.(line.errorCode ?? "OK");
      if (durable !== undefined) await durable;
    }
  };

  /** unknown? → deleted?: there is no default location, and a deleted one is never sent to again. */
  function registered(locationUid: string, requestId: string): LiveLocation {
    const loc = live.get(locationUid);
    if (!loc) throw new UnknownLocationError({ locationUid, requestId });
    if (loc.record.state === "deleted") throw new LocationDeletedError({ locationUid: loc.record.locationUid, requestId });
    return loc;
  }

  /** guard: path, method, body, and every location or organization field the call names. */
  function guard(call: RoutedCall, loc: LiveLocation, requestId: string): GuardedRequest {
    const { locationUid, organizationUid } = loc.record;
    return guardRequest(call, { locationUid, organizationUid }, { maxBodyBytes: deps.maxBodyBytes, maxBodyDepth: deps.maxBodyDepth, requestId });
  }

  /** budget: the location's own bucket under its quota group's shared one, waiting at most until the deadline. */
  async function spendBudget(loc: LiveLocation, req: GuardedRequest, requestId: string, ctx: CallContext): Promise<void> {
    const waitStart = performance.now();
    await budgets.acquire(loc.record.locationUid, loc.quotaGroup, { deadline: ctx.deadline, signal: ctx.signal, requestId, method: req.method });
    observer.budgetWait?.(performance.now() - waitStart);
  }

  /** token → send: the location's own access token (refreshed once on a 401), then the request. */
  async function send(loc: LiveLocation, req: GuardedRequest, plan: IsolationPlan, requestId: string, ctx: CallContext): Promise<UpstreamResponse> {
    const path = plan.search ? `${req.pathname}${plan.search}` : req.pathname;
    const started = performance.now();
    const res = await requestAsLocation(upstream, loc, { method: req.method, path, body: req.body }, requestId, ctx);
    observer.upstreamLatency?.(performance.now() - started, res.status);
    return res;
  }

  /** What Podium's status says about the location itself: quota spent (429), deleted (404), maybe out of scope (403). */
  async function answer(loc: LiveLocation, req: GuardedRequest, res: UpstreamResponse, requestId: string, ctx: CallContext): Promise<void> {
    const uid = loc.record.locationUid;
    if (res.status === 429) throw pauseForRateLimit(budgets, loc, res, requestId, "Podium answered 429");
    if (res.status === 404 && req.route === "/v4/locations/{uid}") {
      await live.markDeleted(loc, requestId);
      throw new LocationDeletedError({ locationUid: uid, requestId, upstreamStatus: 404 });
    }
    // A 403 may mean the location left the token's scope (failure 5): re-verify now, loudly.
    if (res.status === 403) await live.verify(loc, requestId, true, ctx.signal);
  }
}

/** Every failure leaves as a CoreError naming the location and the request id; the original is never changed. */
function asCoreError(err: unknown, locationUid: string, requestId: string): CoreError {
  if (isCoreError(err)) return withErrorContext(err, { locationUid, requestId: requestId || undefined });
  if (err instanceof SyntaxError) return new BadRequestError({ locationUid, requestId, cause: err }, err.message);
  return new InternalError({ locationUid, requestId, cause: err });
}

/**
 * Waits until a write's intent line is durable (audit.fsync: always), but no longer than the caller's deadline
 * (or until it cancels): a disk slow to sync must not send a write after its caller stopped waiting for it. Past
 * the deadline nothing is sent; the call's outcome line (with the code) then closes the intent in the trail.
 */
async function intentDurable(intent: Promise<void>, ctx: CallContext, locationUid: string, requestId: string): Promise<void> {
  try {
    await waitFor(intent, { deadline: ctx.deadline, signal: ctx.signal }, { locationUid, requestId });
  } catch (err) {
    if (!isCoreError(err) || err.code !== "ERR_LOC_DEADLINE_EXCEEDED") throw err;
    throw new DeadlineExceededError({ locationUid, requestId, cause: err }, "the call's deadline passed (or its caller cancelled) while the audit log made its intent line durable; nothing was sent");
  }
}
