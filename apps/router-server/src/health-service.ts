import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { healthV1 } from "@podium-router/proto";

type ServingStatus = healthV1.HealthCheckResponse_ServingStatus;
const { SERVING, NOT_SERVING } = healthV1.HealthCheckResponse_ServingStatus;

/** The serving state the health service reports; the server flips it to NOT_SERVING on shutdown. */
export interface HealthState {
  readonly status: ServingStatus;
  /** Reports NOT_SERVING from now on and ends every Watch stream. */
  shutdown(): void;
  /** Resolves on the next change. */
  changed(): Promise<void>;
}

/** A health state that starts SERVING. */
export function createHealthState(): HealthState {
  let status: ServingStatus = SERVING;
  let notify: () => void = () => {};
  let next = new Promise<void>((resolve) => (notify = resolve));
  return {
    get status() {
      return status;
    },
    shutdown() {
      if (status === NOT_SERVING) return;
      status = NOT_SERVING;
      notify();
      next = new Promise<void>((resolve) => (notify = resolve));
    },
    changed() {
      return next;
    },
  };
}

/**
 * `grpc.health.v1.Health` for the services the server hosts: "" (the server) and each service name.
 * Open without an API key, so load balancers and `grpc_health_probe` need no secret.
 */
export function createHealthService(state: HealthState, serviceNames: readonly string[]): ServiceImpl<typeof healthV1.Health> {
  const known = new Set(["", ...serviceNames]);
  const statusOf = (service: string): ServingStatus => {
    if (!known.has(service)) throw new ConnectError(`unknown service ${JSON.stringify(service.slice(0, 200))}`, Code.NotFound);
    return state.status;
  };
  return {
    check(req) {
      return { status: statusOf(req.service) };
    },
    async *watch(req, ctx) {
      let last = statusOf(req.service);
      yield { status: last };
      const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      while (!ctx.signal.aborted && last !== NOT_SERVING) {
        await Promise.race([state.changed(), aborted]);
        if (ctx.signal.aborted || state.status === last) continue;
        last = state.status;
        yield { status: last };
      }
    },
  };
}
