import { performance } from "node:perf_hooks";
import { Code, type ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { isLocationUid, isOAuthAppName, isRequestId, newRequestId, type CallContext, type EventHub, type LocationRouter } from "@podium-router/core";
import { BadRequestError, InternalError, InvalidConfigError, isCoreError, PermissionDeniedError, UnauthenticatedError, type CoreErrorCode } from "@podium-router/errors";
import type { LocationRouterService } from "@podium-router/proto";
import type { Logger } from "pino";
import { isConfidentialCall, noteCallScope } from "./call-record.js";
import { mayCallRpc, mayUseLocation, mayUseOAuthApp, type Caller, type CallerAuth } from "./caller-auth.js";
import { toConnectError, type ErrorScope } from "./errors.js";
import type { RpcMetrics } from "./metrics.js";
import {
  auditQueryFromProto,
  auditRecordToProto,
  authorizationRequestFromProto,
  authorizationResultToProto,
  callResponseToProto,
  locationStatusToProto,
  locationToProto,
  onboardingInputsFromProto,
  onboardingResultToProto,
  pendingAuthorizationToProto,
  syncResultToProto,
  verifyResultToProto,
  watchedEventsToProto,
} from "./proto-mapping.js";

/** What the service implementation needs; see {@link createLocationRouterService}. */
export interface LocationRouterServiceDeps {
  router: LocationRouter;
  auth: CallerAuth;
  logger: Logger;
  metrics?: RpcMetrics | undefined;
  /** The OAuth redirect URI (`<public_url>/oauth/callback`) BeginAuthorization hands to Podium; undefined until known. */
  redirectUri?: (() => string | undefined) | undefined;
  /** Accept a refresh token over cleartext from a non-loopback address (`server.allow_cleartext_secrets`). @default false */
  allowCleartextSecrets?: boolean | undefined;
  /** Inbound events (WatchEvents, SyncWebhooks, the events part of GetLocationStatus); absent when not enabled. */
  events?: EventHub | undefined;
  /** The router's public URL, which webhooks point at; undefined until known. */
  publicUrl?: (() => string | undefined) | undefined;
}

/** One OAuth app a request names, for the location it names it for. */
interface AppUse {
  locationUid: string;
  oauthApp: string;
  /** The field, as the refusal names it: `oauth_app` or `locations[2].oauth_app`. */
  field: string;
}

/** An admitted call: who asked, and the core's view of the call's deadline and signal. */
interface Admitted {
  caller: Caller;
  context: CallContext;
}

/** What the audit line of a refusal names: the HTTP method and path for Call, the RPC name otherwise. */
type RefusalTarget = { kind: "call"; method: string; path: string } | { kind: "rpc"; rpc: string };


/** How loud a failure is in the server log; the audit log has every call either way. */
function logLevelFor(code: Code): "debug" | "info" | "warn" | "error" {
  switch (code) {
    case Code.Internal:
    case Code.Unknown:
    case Code.DataLoss:
      return "error";
    case Code.Unavailable:
    case Code.FailedPrecondition:
      return "warn";
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return "info";
    default:
      return "debug";
  }
}

/**
 * The LocationRouterService implementation on a LocationRouter. Every RPC authenticates the bearer
 * key, checks the key's grant (refusing and auditing before the core reads any credential), turns the
 * caller's deadline and abort signal into the core's CallContext, and converts every failure with
 * toConnectError. The same object serves connect-node and grpc-js.
 */
export function createLocationRouterService(deps: LocationRouterServiceDeps): ServiceImpl<typeof LocationRouterService> {
  const { router, auth, logger, metrics } = deps;

  function refuse(code: CoreErrorCode, locationUid: string, scope: ErrorScope, target: RefusalTarget, caller: string | undefined): void {
    // Only a plausible uid reaches the audit log from an unauthenticated caller; anything else is noise.
    if (!isLocationUid(locationUid)) return;
    router.recordRefusal({ ...target, locationUid, caller, errorCode: code, requestId: scope.requestId ?? "" });
  }

  /** Authenticates and checks the grant for the RPC and every location it names. */
  function admit(rpc: string, ctx: HandlerContext, locationUids: readonly string[], scope: ErrorScope, target: RefusalTarget): Admitted {
    const caller = auth.authenticate(ctx.requestHeader.get("authorization"));
    if (caller === undefined) {
      for (const uid of locationUids) refuse("ERR_LOC_UNAUTHENTICATED", uid, scope, target, undefined);
      throw new UnauthenticatedError(scope, "send a podium-router API key as `authorization: Bearer <key>`");
    }
    if (!mayCallRpc(caller, rpc)) {
      for (const uid of locationUids) refuse("ERR_LOC_PERMISSION_DENIED", uid, scope, target, caller.name);
      throw new PermissionDeniedError(scope, `the API key of ${caller.name} is not granted ${rpc}`);
    }
    const denied = locationUids.filter((uid) => !mayUseLocation(caller, uid));
    if (denied.length > 0) {
      for (const uid of denied) refuse("ERR_LOC_PERMISSION_DENIED", uid, scope, target, caller.name);
      throw new PermissionDeniedError({ ...scope, locationUid: denied[0] }, `the API key of ${caller.name} is not granted location ${denied[0]}`);
    }
    const timeoutMs = ctx.timeoutMs();
    return {
      caller,
      context: { caller: caller.name, deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs, signal: ctx.signal },
    };
  }

  /**
   * Callers never name a secret: a request names configured OAuth apps, each of which must be well formed and
   * granted to the caller's key. Refused (and audited for each location) before the core sees the request; a
   * bad name is never echoed, since it may be a pasted reference or path.
   */
  function admitApps(caller: Caller, uses: readonly AppUse[], scope: ErrorScope, target: RefusalTarget): void {
    const refuseAll = (code: CoreErrorCode): void => {
      for (const use of uses) refuse(code, use.locationUid, scope, target, caller.name);
    };
    for (const use of uses) {
      if (use.oauthApp === "") {
        refuseAll("ERR_LOC_BAD_REQUEST");
        throw new BadRequestError({ ...scope, locationUid: use.locationUid }, `${use.field} is required: the name of an OAuth app configured on the router (oauth_apps)`);
      }
      if (!isOAuthAppName(use.oauthApp)) {
        refuseAll("ERR_LOC_BAD_REQUEST");
        throw new BadRequestError({ ...scope, locationUid: use.locationUid }, `${use.field} must be the name of an OAuth app configured on the router (lower-case letters, digits, _ and -); it is never a secret reference or a path`);
      }
      if (!mayUseOAuthApp(caller, use.oauthApp)) {
        refuseAll("ERR_LOC_PERMISSION_DENIED");
        throw new PermissionDeniedError({ ...scope, locationUid: use.locationUid }, `the API key of ${caller.name} is not granted OAuth app "${use.oauthApp}" (server.api_keys[].oauth_apps)`);
      }
    }
  }

  /**
   * A secret value is accepted only where nothing on a network path could read it: over TLS or from this host,
   * unless the operator allowed cleartext (behind a TLS-terminating proxy).
   */
  function admitSecretTransport(ctx: HandlerContext, uids: readonly string[], caller: Caller, scope: ErrorScope, target: RefusalTarget): void {
    if (deps.allowCleartextSecrets === true || isConfidentialCall(ctx.values)) return;
    for (const uid of uids) refuse("ERR_LOC_PERMISSION_DENIED", uid, scope, target, caller.name);
    throw new PermissionDeniedError(
      scope,
      "a refresh token is accepted only over TLS or from this host (loopback); this one crossed the network in cleartext, so treat it as exposed: revoke it, obtain a new one and send it over TLS (server.tls), or set server.allow_cleartext_secrets behind a TLS-terminating proxy",
    );
  }

  /** Counts and logs one finished RPC; `err` is undefined on success, `cancelled` when the caller left mid-stream. */
  function finish(rpc: string, scope: ErrorScope, started: number, err: ConnectError | undefined, cause?: unknown, cancelled = false): void {
    const code: Code | 0 = err?.code ?? (cancelled ? Code.Canceled : 0);
    metrics?.rpcFinished(rpc, code, performance.now() - started);
    const level = err === undefined ? "debug" : logLevelFor(err.code);
    if (!logger.isLevelEnabled(level)) return;
    // The per-request child logger, made only when something is logged: the hot path stays allocation-light.
    // A failure the core made names the request id the core gave the call; anything else, the scope's.
    const requestId = isCoreError(cause) && cause.requestId ? cause.requestId : scope.requestId;
    const log = logger.child({ rpc, location_uid: scope.locationUid, request_id: requestId });
    if (err === undefined) log.debug({ ms: performance.now() - started, cancelled }, cancelled ? "rpc cancelled by the caller" : "rpc finished");
    else if (level === "error") log.error({ code: Code[err.code], err: cause }, "rpc failed");
    else log[level]({ code: Code[err.code], reason: err.rawMessage }, "rpc failed");
  }

  async function unary<T>(rpc: string, ctx: HandlerContext, scope: ErrorScope, uids: readonly string[], target: RefusalTarget, fn: (a: Admitted) => Promise<T>): Promise<T> {
    const started = performance.now();
    noteCallScope(ctx.values, scope);
    try {
      const out = await fn(admit(rpc, ctx, uids, scope, target));
      finish(rpc, scope, started, undefined);
      return out;
    } catch (e) {
      const err = toConnectError(e, scope);
      finish(rpc, scope, started, err, e);
      throw err;
    }
  }

  async function* stream<T>(rpc: string, ctx: HandlerContext, scope: ErrorScope, uids: readonly string[], target: RefusalTarget, fn: (a: Admitted) => AsyncIterable<T>): AsyncGenerator<T> {
    const started = performance.now();
    noteCallScope(ctx.values, scope);
    let settled = false;
    try {
      yield* fn(admit(rpc, ctx, uids, scope, target));
      settled = true;
      finish(rpc, scope, started, undefined);
    } catch (e) {
      settled = true;
      const err = toConnectError(e, scope);
      finish(rpc, scope, started, err, e);
      throw err;
    } finally {
      // The caller stopped reading (cancelled, or its connection closed) before the stream ended.
      if (!settled) finish(rpc, scope, started, undefined, undefined, true);
    }
  }

  const rpcTarget = (rpc: string): RefusalTarget => ({ kind: "rpc", rpc });
  /** The event hub, or the refusal a router without `events.enabled` gives. */
  const eventsOf = (scope: ErrorScope): EventHub => {
    if (deps.events === undefined) throw new InvalidConfigError(scope, "this router does not receive Podium events; set events.enabled: true and restart it");
    return deps.events;
  };
  const scopeOf = (locationUid: string, requestId = ""): ErrorScope => ({
    locationUid: locationUid === "" ? undefined : locationUid,
    requestId: isRequestId(requestId) ? requestId : newRequestId(),
  });

  return {
    call(req, ctx) {
      const scope = scopeOf(req.locationUid, req.requestId);
      // The caller's own id, or none: the core makes the call's id (and refuses an invalid one as ERR_LOC_BAD_REQUEST).
      // The scope's id names only refusals made here, before the core sees the call.
      const requestId = req.requestId === "" ? undefined : req.requestId;
      return unary("Call", ctx, scope, [req.locationUid], { kind: "call", method: req.method, path: req.path }, async ({ context }) =>
        callResponseToProto(
          await router.call({ locationUid: req.locationUid, method: req.method, path: req.path, body: req.body, requestId }, context),
        ),
      );
    },

    verifyLocation(req, ctx) {
      return unary("VerifyLocation", ctx, scopeOf(req.locationUid), [req.locationUid], rpcTarget("VerifyLocation"), async ({ context }) =>
        verifyResultToProto(await router.verifyLocation(req.locationUid, { force: req.force, ctx: context })),
      );
    },

    listLocations(req, ctx) {
      return unary("ListLocations", ctx, scopeOf(""), [], rpcTarget("ListLocations"), async ({ caller }) => {
        const all = await router.listLocations(req.orgSlug === "" ? undefined : { orgSlug: req.orgSlug });
        // A key sees only the locations it is granted; the others stay invisible rather than refused.
        return { locations: all.filter((l) => mayUseLocation(caller, l.locationUid)).map(locationToProto) };
      });
    },

    getLocationStatus(req, ctx) {
      return unary("GetLocationStatus", ctx, scopeOf(req.locationUid), [req.locationUid], rpcTarget("GetLocationStatus"), async () =>
        locationStatusToProto(await router.getLocationStatus(req.locationUid), await deps.events?.status(req.locationUid)),
      );
    },

    removeLocation(req, ctx) {
      return unary("RemoveLocation", ctx, scopeOf(req.locationUid), [req.locationUid], rpcTarget("RemoveLocation"), async ({ context }) => {
        // Its Podium webhook goes first, while the location's credential can still delete it.
        await deps.events?.removeLocation(req.locationUid, context);
        await router.removeLocation(req.locationUid, context);
        return { locationUid: req.locationUid };
      });
    },

    onboardLocations(req, ctx) {
      const uids = req.locations.map((l) => l.locationUid);
      const scope = scopeOf(uids.length === 1 ? (uids[0] ?? "") : "");
      const target = rpcTarget("OnboardLocations");
      return stream("OnboardLocations", ctx, scope, uids, target, async function* ({ caller, context }) {
        admitApps(caller, req.locations.map((l, i) => ({ locationUid: l.locationUid, oauthApp: l.oauthApp, field: `locations[${i}].oauth_app` })), scope, target);
        if (req.locations.some((l) => l.refreshToken !== "")) admitSecretTransport(ctx, uids, caller, scope, target);
        const opts = { dryRun: req.dryRun, concurrency: req.concurrency === 0 ? undefined : req.concurrency, caller: caller.name, signal: context.signal };
        for await (const result of router.onboardLocations(onboardingInputsFromProto(req), opts)) yield onboardingResultToProto(result);
      });
    },

    queryAudit(req, ctx) {
      const scope = scopeOf(req.locationUid);
      const uids = req.locationUid === "" ? [] : [req.locationUid];
      return stream("QueryAudit", ctx, scope, uids, rpcTarget("QueryAudit"), async function* ({ caller, context }) {
        if (req.locationUid === "" && caller.locations !== "*") {
          throw new PermissionDeniedError(scope, `location_uid is required: the API key of ${caller.name} is not granted every location`);
        }
        for await (const record of router.queryAudit(auditQueryFromProto(req), context)) yield { record: auditRecordToProto(record) };
      });
    },

    beginAuthorization(req, ctx) {
      const scope = scopeOf(req.locationUid);
      const target = rpcTarget("BeginAuthorization");
      return unary("BeginAuthorization", ctx, scope, [req.locationUid], target, async ({ caller, context }) => {
        admitApps(caller, [{ locationUid: req.locationUid, oauthApp: req.oauthApp, field: "oauth_app" }], scope, target);
        const redirectUri = deps.redirectUri?.();
        if (redirectUri === undefined) throw new InternalError(scope, "this server has no OAuth callback address yet; set server.public_url");
        return pendingAuthorizationToProto(await router.beginAuthorization(authorizationRequestFromProto(req, redirectUri), context));
      });
    },

    awaitAuthorization(req, ctx) {
      // The grant is checked against the location the state is bound to; an unknown state is refused by the core.
      const uid = router.peekAuthorization(req.state)?.locationUid;
      const uids = uid === undefined ? [] : [uid];
      return unary("AwaitAuthorization", ctx, scopeOf(uid ?? ""), uids, rpcTarget("AwaitAuthorization"), async ({ context }) => {
        const remaining = context.deadline === undefined ? undefined : Math.max(0, context.deadline - Date.now());
        const signal = remaining === undefined || context.signal === undefined ? context.signal : AbortSignal.any([context.signal, AbortSignal.timeout(remaining)]);
        return authorizationResultToProto(await router.awaitAuthorization(req.state, signal));
      });
    },

    watchEvents(req, ctx) {
      const scope = scopeOf(req.locationUid);
      return stream("WatchEvents", ctx, scope, [req.locationUid], rpcTarget("WatchEvents"), async function* ({ context }) {
        const watch = { locationUid: req.locationUid, afterCursor: req.afterCursor, eventTypes: req.eventTypes, onlyNew: req.onlyNew };
        for await (const batch of await eventsOf(scope).watch(watch, context.signal ?? ctx.signal)) yield watchedEventsToProto(batch);
      });
    },

    syncWebhooks(req, ctx) {
      const uids = req.locationUids;
      const scope = scopeOf(uids.length === 1 ? (uids[0] ?? "") : "");
      return stream("SyncWebhooks", ctx, scope, uids, rpcTarget("SyncWebhooks"), async function* ({ caller, context }) {
        if (uids.length === 0 && caller.locations !== "*") {
          throw new PermissionDeniedError(scope, `location_uids is required: the API key of ${caller.name} is not granted every location`);
        }
        const hub = eventsOf(scope);
        const publicUrl = deps.publicUrl?.();
        if (publicUrl === undefined) throw new InternalError(scope, "this server has no public address yet; set server.public_url");
        // Not bound by the RPC's deadline: a sync of many locations outlasts it, and each Podium call has its own.
        for await (const r of hub.syncWebhooks({ locationUids: uids, publicUrl }, { caller: context.caller, signal: context.signal })) yield syncResultToProto(r);
      });
    },
  };
}
