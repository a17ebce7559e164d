import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { healthV1, LocationRouterService } from "@podium-router/proto";

type ServingStatus = healthV1.HealthCheckResponse_ServingStatus;
const { SERVING, NOT_SERVING } = healthV1.HealthCheckResponse_ServingStatus;

/**
 * The health name for writes through the router: NOT_SERVING while the audit log cannot take lines, when the
 * router refuses every write (ERR_LOC_AUDIT_UNAVAILABLE) but, under `audit.on_failure: refuse_writes`, still
 * answers reads. A name of its own, because the server and its service stay SERVING for reads then: a load
 * balancer that sends writes probes this name and moves them to another replica, one that sends reads keeps
 * probing "" or the service. Under refuse_all every name is NOT_SERVING.
 */
export const WRITES_HEALTH_SERVICE = `${LocationRouterService.typeName}/writes`;

/** What the router refuses while its audit log cannot be written (see AuditStatus). */
export type AuditRefusal = "none" | "writes" | "all";

/** The serving state the health service reports; the server flips it to NOT_SERVING on shutdown. */
export interface HealthState {
  /** NOT_SERVING after shutdown, or while the audit log refuses every call; else SERVING. */
  readonly status: ServingStatus;
  /** The status of writes: NOT_SERVING also while the audit log refuses writes. */
  readonly writeStatus: ServingStatus;
  /** True once shutdown() was called. */
  readonly shutDown: boolean;
  /** Reports NOT_SERVING from now on and ends every Watch stream. */
  shutdown(): void;
  /** What the audit log makes the router refuse now. */
  setAudit(refusing: AuditRefusal): void;
  /** Resolves on the next change. */
  changed(): Promise<void>;
}

/** A health state that starts SERVING. */
export function createHealthState(): HealthState {
  let down = false;
  let audit: AuditRefusal = "none";
  let notify: () => void = () => {};
  let next = new Promise<void>((resolve) => (notify = resolve));
  const changed = (): void => {
    notify();
    next = new Promise<void>((resolve) => (notify = resolve));
  };
  return {
    get status() {
      return down || audit === "all" ? NOT_SERVING : SERVING;
    },
    get writeStatus() {
      return down || audit !== "none" ? NOT_SERVING : SERVING;
    },
    get shutDown() {
      return down;
    },
    shutdown() {
      if (down) return;
      down = true;
      changed();
    },
    setAudit(refusing) {
      if (refusing === audit) return;
      audit = refusing;
      changed();
    },
    changed() {
      return next;
    },
  };
}

/**
 * `grpc.health.v1.Health` for the services the server hosts: "" (the server), each service name, and
 * WRITES_HEALTH_SERVICE. Open without an API key, so load balancers and `grpc_health_probe` need no secret.
 */
export function createHealthService(state: HealthState, serviceNames: readonly string[]): ServiceImpl<typeof healthV1.Health> {
  const known = new Set(["", ...serviceNames, WRITES_HEALTH_SERVICE]);
  const statusOf = (service: string): ServingStatus => {
    if (!known.has(service)) throw new ConnectError(`unknown service ${JSON.stringify(service.slice(0, 200))}`, Code.NotFound);
    return service === WRITES_HEALTH_SERVICE ? state.writeStatus : state.status;
  };
  return {
    check(req) {
      return { status: statusOf(req.service) };
    },
    async *watch(req, ctx) {
      let last = statusOf(req.service);
      yield { status: last };
      const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      // An audit outage ends by itself; only shutdown ends the stream.
      while (!ctx.signal.aborted && !(state.shutDown && last === NOT_SERVING)) {
        await Promise.race([state.changed(), aborted]);
        const now = statusOf(req.service);
        if (ctx.signal.aborted || now === last) continue;
        last = now;
        yield { status: last };
      }
    },
  };
}
