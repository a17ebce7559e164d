import { performance } from "node:perf_hooks";
import { AUDIT_ANY_LOCATION, buildAuditRecord, type AuditEntry, type AuditLog, type AuditQuery, type AuditRecord, type RecordCallAudit } from "../audit/index.js";
import type { RateBudgets } from "../budgets/index.js";
import { createCredentialStore, type CredentialStore, type LocationRecord } from "../credentials/index.js";
import { InternalError, isCoreError, LocationDeletedError, UnknownLocationError } from "@podium-router/errors";
import { newRequestId } from "../ids.js";
import { createConsentOnboarding, createOrganizationPins, onboardLocations, type RegisteredLocation, type OnboardingInput, type OnboardingOptions, type OnboardingResult } from "../onboarding/index.js";
import type { Settings } from "../settings/index.js";
import { createUpstreamClient, type UpstreamClient } from "../upstream/index.js";
import { noopLogger, type CoreLogger } from "../util/index.js";
import type { LocationVerifier } from "../verification/index.js";
import { createCallPipeline } from "./call-pipeline.js";
import { createOwnershipGate } from "./ownership-gate.js";
import { createCursorBinder, ownerEntriesOfEvent, type OwnershipCache } from "../isolation/index.js";
import { resolveCursorKey } from "./cursor-key.js";
import { createStateBackend } from "./create-state-backend.js";
import { createLiveLocations } from "./live-locations.js";
import { reportedAuthState } from "./location-health.js";
import type { AuditStatus, CallContext, LocationRouter, Refusal, VerifyResult } from "./location-router-api.js";
import { createLocationViews } from "./location-views.js";
import { createCallAudit, createOperationGate, createRouterAuditLog } from "./router-audit.js";
import type { RouterObserver } from "./router-observer.js";

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
  /** Where resolved resource owners are cached. @default the state backend's (memory or Redis) */
  ownershipCache?: OwnershipCache;
  /** Counts owner lookups sent to Podium (cache misses), for benchmarks. @default none */
  onOwnerLookup?: () => void;
}

/** The live router plus the parts the server and tests reach into. */
export interface LocationRouterHandle extends LocationRouter {
  readonly settings: Settings;
  readonly store: CredentialStore;
  readonly audit: AuditLog;
  /**
   * The one audit writer, for parts built on the router (the event hub), with the call pipeline's contract
   * (RecordCallAudit, router-audit.ts): it fills the organization slug and appends; a `phase: "sent"` entry is the
   * fail-closed gate (throws AuditUnavailableError while the log cannot take a write's line, and writes nothing
   * for an event); an acknowledged event's line returns a promise under `audit.fsync: always`, settled once durable.
   */
  readonly recordAudit: RecordCallAudit;
  /**
   * The gate of operations that change state outside a routed call (onboard, remove, webhook sync): throws
   * AuditUnavailableError (retryable) while the log cannot take lines; writes nothing.
   */
  auditGate(locationUid: string, requestId: string): void;
  /**
   * Drops the cached owners of the resources a Podium event (`eventType`, its `data`) says changed, in the
   * organization of `locationUid` (owners-of-event.ts). Never throws; nothing for an unknown location.
   */
  forgetOwners(locationUid: string, eventType: string, data: unknown): Promise<void>;
  /** A registered location's record as routing sees it now (state, organization), or undefined. */
  peekLocation(locationUid: string): Readonly<LocationRecord> | undefined;
}

/**
 * Builds the routing core: loads the registered locations (lazily: no secret is resolved and no token fetched
 * at start-up), wires the parts from settings (or the ones given), and returns the router. A routed call runs
 * the pipeline of call-pipeline.ts; the operations below (verify, list, status, remove, onboard, audit query,
 * consent) share its live locations and its one audit writer.
 */
export async function createLocationRouter(deps: LocationRouterDeps): Promise<LocationRouterHandle> {
  const { settings } = deps;
  const env = deps.env ?? process.env;
  const logger = deps.logger ?? noopLogger;
  const observer = deps.observer ?? {};
  // Budgets, verification cache and refresh lock: in memory, or shared with other replicas via Redis.
  const state = createStateBackend(settings, { observer, logger });
  const store = state.wrapStore(deps.store ?? (await createCredentialStore(settings.credentials, env)));
  const audit = deps.audit ?? (await createRouterAuditLog(settings, env, deps.logger));
  const upstream = deps.upstream ?? createUpstreamClient(settings.upstream);
  const budgets = deps.budgets ?? state.budgets;
  const verifier = deps.verifier ?? state.verifier;

  const live = createLiveLocations({ settings, store, upstream, budgets, verifier, logger, observer, env, sharedHealth: state.sharedHealth });
  for (const record of await store.list()) live.add(record);
  const pins = createOrganizationPins(function* () {
    for (const loc of live.values()) yield loc.record;
  });

  /** The one audit writer: every line of the trail goes through buildAuditRecord here. */
  const recordAudit = (entry: AuditEntry): void => {
    audit.append(buildAuditRecord({ ...entry, orgSlug: entry.orgSlug ?? live.orgSlugOf(entry.locationUid) }));
  };
  const auditStatus = (): AuditStatus => {
    const full = audit.full();
    const refusing = !audit.writable || full ? (full || settings.audit.onFailure === "refuse_all" ? "all" : "writes") : "none";
    return { writable: audit.writable, refusing, pendingBytes: audit.pendingBytes };
  };
  // Fail closed, loudly: the first failure is logged by the log itself (onError); the state and the recovery here.
  audit.onStatus((event) => {
    if (event.kind === "failed") observer.auditWriteFailure?.();
    else logger.info({ audit_path: settings.audit.path }, "audit log is writable again; writes are accepted");
  });
  /** An operation's line: `router:<rpc>`, 200 when it succeeded, 0 with the code when it failed. */
  const recordOperation = (rpc: string, locationUid: string, requestId: string, startedAt: number, caller: string | undefined, errorCode?: string): void => {
    recordAudit({ subject: { kind: "rpc", rpc }, locationUid, requestId, startedAt, caller, errorCode, status: errorCode ? 0 : 200 });
  };

  const callAudit = createCallAudit(audit, settings, recordAudit);
  // Onboard and remove change the router's own state: refused like a write while the log cannot take their lines.
  const auditGate = createOperationGate(audit);

  let closing = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  const ownership = createOwnershipGate({
    live,
    budgets,
    upstream,
    cache: deps.ownershipCache ?? state.ownershipCache,
    locks: state.identifierLocks,
    reachTtlMs: settings.verification.ttlSeconds * 1000,
    onLookup: deps.onOwnerLookup,
  });
  const routeCall = createCallPipeline({
    live,
    budgets,
    upstream,
    observer,
    maxBodyBytes: settings.upstream.maxRequestBodyBytes,
    maxBodyDepth: settings.upstream.maxRequestBodyDepth,
    recordAudit: callAudit,
    isClosing: () => closing,
    cursors: createCursorBinder(await resolveCursorKey(settings, env)),
    ownership,
  });

  // Onboarding by consent ends in the normal onboarding path for its one location.
  const consent = createConsentOnboarding({
    settings,
    upstream,
    env,
    // A consent is an explicit new credential: for a registered location it replaces the stored one once verified.
    async onboard(input, caller) {
      for await (const result of router.onboardLocations([input], { caller, replace: true })) return result;
      throw new InternalError({ locationUid: input.locationUid }, "onboarding returned no result");
    },
    recordAudit,
  });

  /**
   * A registered location and whether it works: marked deleted, its credential refused (this process saw it), or
   * else checked now with its stored credential (a cached verification counts). Undefined when not registered.
   */
  async function assessRegistered(uid: string, requestId: string, signal?: AbortSignal): Promise<RegisteredLocation | undefined> {
    const loc = live.get(uid);
    if (loc === undefined) {
      // Stored by another replica and not live here yet: registered, its health unknown to this process.
      const record = await store.get(uid);
      return record === undefined ? undefined : { record };
    }
    if (loc.record.state === "deleted") return { record: loc.record, broken: "deleted" };
    const auth = loc.peekAuth()?.state();
    if (auth !== undefined && reportedAuthState(auth.authState, auth.lastRefresh, live.health.get(uid)) === "failed") return { record: loc.record, broken: "auth_failed" };
    try {
      await live.verify(loc, requestId, false, signal);
      return { record: loc.record };
    } catch (err) {
      const code = isCoreError(err) ? err.code : undefined;
      const record = live.get(uid)?.record ?? loc.record;
      if (code === "ERR_LOC_AUTH") return { record, broken: "auth_failed" };
      if (code === "ERR_LOC_NOT_IN_SCOPE") return { record, broken: "not_in_scope" };
      if (code === "ERR_LOC_DELETED") return { record, broken: "deleted" };
      throw err;
    }
  }

  const views = createLocationViews({ settings, live, verifier, budgets });

  const router: LocationRouterHandle = {
    settings,
    store,
    audit,
    recordAudit: callAudit,
    auditGate,
    async forgetOwners(locationUid, eventType, data) {
      const slug = live.get(locationUid)?.record.orgSlug;
      const entries = ownerEntriesOfEvent(eventType, data);
      if (slug === undefined || entries.length === 0) return;
      // Every live location of the organization: the entries were cached under whichever of them looked them up.
      await ownership.forget([...live.values()].filter((l) => l.record.orgSlug === slug), entries);
    },
    peekLocation: (uid) => live.get(uid)?.record,
    call(call, ctx = {}) {
      return track(routeCall(call, ctx));
    },

    async verifyLocation(locationUid, opts = {}): Promise<VerifyResult> {
      const requestId = newRequestId();
      const loc = live.get(locationUid);
      if (!loc) throw new UnknownLocationError({ locationUid, requestId });
      if (loc.record.state === "deleted") throw new LocationDeletedError({ locationUid, requestId });
      const r = await live.verify(loc, requestId, opts.force ?? false, opts.ctx?.signal);
      return { locationUid, orgSlug: loc.record.orgSlug, state: "verified", verifiedAt: r.verifiedAt, cached: r.cached };
    },

    // The views: what ListLocations and GetLocationStatus show (location-views.ts).
    ...views,

    async removeLocation(locationUid, ctx) {
      const t0 = performance.now();
      const requestId = newRequestId();
      if (!live.has(locationUid) && !(await store.get(locationUid))) {
        recordOperation("RemoveLocation", locationUid, requestId, t0, ctx?.caller, "ERR_LOC_UNKNOWN");
        throw new UnknownLocationError({ locationUid, requestId });
      }
      try {
        auditGate(locationUid, requestId);
      } catch (err) {
        recordOperation("RemoveLocation", locationUid, requestId, t0, ctx?.caller, "ERR_LOC_AUDIT_UNAVAILABLE");
        throw err;
      }
      recordOperation("RemoveLocation", locationUid, requestId, t0, ctx?.caller);
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
        assess: (uid, requestId, signal) => assessRegistered(uid, requestId, signal),
        addLive: (record, auth) => {
          // A fresh start for the location: what this process saw of its old credential no longer applies.
          live.add(record, auth);
          live.health.forget(record.locationUid);
          verifier.forget(record.locationUid);
        },
        recordAudit,
        auditGate,
        pins,
      });
    },

    queryAudit(query: AuditQuery, ctx?: CallContext): AsyncIterable<AuditRecord> {
      // A query of the audit is itself audited: who asked for which location.
      recordOperation("QueryAudit", query.locationUid ?? AUDIT_ANY_LOCATION, newRequestId(), performance.now(), ctx?.caller);
      return audit.query(query);
    },

    reopenAudit() {
      return audit.reopen();
    },

    auditStatus,

    onAuditStatus(listener) {
      return audit.onStatus(() => listener(auditStatus()));
    },

    recordRefusal(refusal: Refusal) {
      const { locationUid, requestId, caller, errorCode } = refusal;
      const subject = refusal.kind === "call" ? ({ kind: "call", method: refusal.method, path: refusal.path } as const) : ({ kind: "rpc", rpc: refusal.rpc } as const);
      recordAudit({ subject, locationUid, requestId, caller, errorCode });
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

