import { performance } from "node:perf_hooks";
import { Code, type ConnectError, type HandlerContext } from "@connectrpc/connect";
import { AUDIT_ANY_LOCATION, AUDIT_INVALID_VALUE, isCallMethod, isLocationUid, type CallContext, type LocationRouter } from "@podium-router/core";
import { isCoreError, PermissionDeniedError, UnauthenticatedError } from "@podium-router/errors";
import type { Logger } from "pino";
import { noteCallScope } from "./call-record.js";
import { mayCallRpc, mayUseLocation, type Caller, type CallerAuth } from "./caller-auth.js";
import { errorDetailOf, toConnectError, type ErrorScope } from "./errors.js";
import type { RpcMetrics } from "./metrics.js";
import { checkCount, checkFields, fieldRules, type FieldCheck } from "./request-fields.js";

/**
 * The edge every LocationRouterService RPC passes: the caller's key, its grant for the RPC, the shape of
 * every field, its grant for each location; then the RPC itself; then one error path, one metrics count, one
 * log line, and the audit line of any refusal or failure the core does not write itself.
 */

/** An admitted call: who asked, and the core's view of the call's deadline and signal. */
export interface Admitted {
  caller: Caller;
  context: CallContext;
}

/**
 * One RPC as the edge sees it: what it names, checked and granted before the core sees anything, and what
 * the audit line of its refusal says.
 */
export interface RpcRequest {
  readonly rpc: string;
  readonly scope: ErrorScope;
  /** Every location the request names; the caller's grant must cover each. */
  readonly uids: readonly string[];
  /** Every string field, checked for shape and length before anything else reads it. */
  readonly fields: readonly FieldCheck[];
  /** Repeated fields with a cap on their length: [field, count, most allowed]. */
  readonly counts?: readonly (readonly [field: string, count: number, max: number])[] | undefined;
  /** A Call's HTTP method and path, for its refusal's audit line; other RPCs are written as `router:<rpc>`. */
  readonly call?: { readonly method: string; readonly path: string } | undefined;
  /**
   * True when the core writes the audit line of every outcome once the RPC reaches it (Call, RemoveLocation,
   * QueryAudit); otherwise the server writes the line of a failure itself.
   */
  readonly coreAudits?: boolean | undefined;
  /** A further check of the caller's grant that needs the request (QueryAudit without a location). */
  readonly authorize?: ((caller: Caller) => void) | undefined;
}

/** What the audit line of a refusal names: the HTTP method and path for Call, the RPC name otherwise. */
type RefusalTarget = { kind: "call"; method: string; path: string } | { kind: "rpc"; rpc: string };

/** Where an RPC got to: who the caller is once known, and whether the core has taken over its audit line. */
interface Progress {
  caller: Caller | undefined;
  coreAudits: boolean;
  /** The locations a refusal is about when not all the request names (the ones the grant lacks). */
  refusedUids?: readonly string[] | undefined;
}

/**
 * A refusal names at most this many locations, one line each; a request naming more (a bulk onboarding
 * with a bad key) is written as one line for every location ("*"), so one request cannot flood the trail.
 */
export const MAX_REFUSAL_AUDIT_LINES = 16;

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

/** What {@link createRpcGate} needs. */
export interface RpcGateDeps {
  router: LocationRouter;
  auth: CallerAuth;
  logger: Logger;
  metrics?: RpcMetrics | undefined;
}

/** Runs RPCs through the edge: unary ones and server streams. */
export interface RpcGate {
  unary<T>(req: RpcRequest, ctx: HandlerContext, fn: (a: Admitted) => Promise<T>): Promise<T>;
  stream<T>(req: RpcRequest, ctx: HandlerContext, fn: (a: Admitted) => AsyncIterable<T>): AsyncGenerator<T>;
}

/** The gate for one service instance. */
export function createRpcGate(deps: RpcGateDeps): RpcGate {
  const { router, auth, logger, metrics } = deps;

  /**
   * The audit line(s) of a refused or failed RPC, with the reason and request id its ErrorDetail carries: only
   * values that follow their rule reach the line, anything else as the core's invalid mark.
   */
  function auditRefusal(req: RpcRequest, err: ConnectError, progress: Progress): void {
    const detail = errorDetailOf(err);
    const errorCode = detail?.reason || "ERR_LOC_INTERNAL";
    const requestId = detail?.requestId ?? "";
    const caller = progress.caller?.name;
    const uids = new Set((progress.refusedUids ?? req.uids).map((uid) => (isLocationUid(uid) ? uid : AUDIT_INVALID_VALUE)));
    if (uids.size === 0 || uids.size > MAX_REFUSAL_AUDIT_LINES) {
      uids.clear();
      uids.add(AUDIT_ANY_LOCATION);
    }
    const target: RefusalTarget =
      req.call === undefined
        ? { kind: "rpc", rpc: req.rpc }
        : {
            kind: "call",
            method: isCallMethod(req.call.method) ? req.call.method : AUDIT_INVALID_VALUE,
            path: fieldRules.path.test(req.call.path) ? req.call.path : "",
          };
    for (const locationUid of uids) router.recordRefusal({ ...target, locationUid, caller, errorCode, requestId });
  }

  /** Authenticates, checks the grant for the RPC, the shape of every field, then the grant for every location. */
  function admit(req: RpcRequest, ctx: HandlerContext, progress: Progress): Admitted {
    const { rpc, scope } = req;
    const caller = auth.authenticate(ctx.requestHeader.get("authorization"));
    if (caller === undefined) throw new UnauthenticatedError(scope, "send a podium-router API key as `authorization: Bearer <key>`");
    progress.caller = caller;
    if (!mayCallRpc(caller, rpc)) throw new PermissionDeniedError(scope, `the API key of ${caller.name} is not granted ${rpc}`);
    for (const [field, count, max] of req.counts ?? []) checkCount(scope, field, count, max);
    checkFields(scope, req.fields);
    const denied = req.uids.filter((uid) => !mayUseLocation(caller, uid));
    if (denied.length > 0) {
      progress.refusedUids = denied;
      throw new PermissionDeniedError({ ...scope, locationUid: denied[0] }, `the API key of ${caller.name} is not granted location ${denied[0]}`);
    }
    req.authorize?.(caller);
    const timeoutMs = ctx.timeoutMs();
    return {
      caller,
      // The organization grant goes to the core, which alone knows which operations are organization-level.
      context: { caller: caller.name, deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs, signal: ctx.signal, organizations: caller.organizations },
    };
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

  /** The wire error for a failure, audited here unless the core already wrote the RPC's line. */
  function failed(req: RpcRequest, progress: Progress, started: number, e: unknown): ConnectError {
    const err = toConnectError(e, req.scope);
    if (!progress.coreAudits) auditRefusal(req, err, progress);
    finish(req.rpc, req.scope, started, err, e);
    return err;
  }

  async function unary<T>(req: RpcRequest, ctx: HandlerContext, fn: (a: Admitted) => Promise<T>): Promise<T> {
    const started = performance.now();
    noteCallScope(ctx.values, req.scope);
    const progress: Progress = { caller: undefined, coreAudits: false };
    try {
      const admitted = admit(req, ctx, progress);
      progress.coreAudits = req.coreAudits === true;
      const out = await fn(admitted);
      finish(req.rpc, req.scope, started, undefined);
      return out;
    } catch (e) {
      throw failed(req, progress, started, e);
    }
  }

  async function* stream<T>(req: RpcRequest, ctx: HandlerContext, fn: (a: Admitted) => AsyncIterable<T>): AsyncGenerator<T> {
    const started = performance.now();
    noteCallScope(ctx.values, req.scope);
    const progress: Progress = { caller: undefined, coreAudits: false };
    let settled = false;
    try {
      const admitted = admit(req, ctx, progress);
      progress.coreAudits = req.coreAudits === true;
      yield* fn(admitted);
      settled = true;
      finish(req.rpc, req.scope, started, undefined);
    } catch (e) {
      settled = true;
      throw failed(req, progress, started, e);
    } finally {
      // The caller stopped reading (cancelled, or its connection closed) before the stream ended.
      if (!settled) finish(req.rpc, req.scope, started, undefined, undefined, true);
    }
  }

  return { unary, stream };
}
