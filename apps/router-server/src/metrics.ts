import { Code } from "@connectrpc/connect";
import type { EventsObserver, RouterObserver } from "@podium-router/core";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the service implementation reports per RPC. */
export interface RpcMetrics {
  /** One RPC finished with `code` (0 = OK) after `ms` milliseconds. */
  rpcFinished(rpc: string, code: Code | 0, ms: number): void;
}

/** Why the server closed a connection that had no request or stream open. */
export type IdleCloseTrigger = "idle_timeout" | "header_timeout" | "cap" | "keepalive_timeout";

/** What the port reports about client connections (see connection-tracker.ts). */
export interface ConnectionMetrics {
  opened(): void;
  closed(): void;
  /** The server closed an idle connection: after idle_timeout_ms, past header_timeout_ms, to make room at the cap, or a PING went unanswered. */
  closedIdle(trigger: IdleCloseTrigger): void;
  /** A new connection was refused at max_connections (every open one was busy). */
  refused(): void;
}

/**
 * The server's Prometheus metrics. `observer` is the core's hook object (`RouterObserver`, passed to
 * `createLocationRouter({ observer })`); none of its hooks carries a location uid, so every label set
 * here is bounded: rpc (7 methods + health/reflection), code (17), outcome (17 ERR_LOC_* + OK), status
 * class (1xx-5xx), budget backend (3) and idle-close trigger (4).
 */
export interface RouterMetrics extends RpcMetrics {
  readonly registry: Registry;
  readonly observer: Required<RouterObserver>;
  readonly connections: ConnectionMetrics;
  /**
   * The event hub's hooks (`createEventHub({ observer })`): webhooks received by outcome (stored, duplicate or the
   * ERR_LOC_* code of a refusal), their answer time, deliveries by channel, dead letters, open streams.
   */
  readonly events: Required<EventsObserver>;
  /** Reads the audit log's pending bytes (`podium_router_audit_pending_bytes`) from `read` at each scrape. */
  watchAuditPending(read: () => number | undefined): void;
  /** The Prometheus text exposition, for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

// Podium answers in tens to hundreds of milliseconds; the router's own work is well under one.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Budget waits are bounded by budgets.max_wait_ms (2 s by default).
const WAIT_BUCKETS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : "other";
}

/**
 * Registers the router's metrics in `registry` (a fresh one by default, with the default process
 * metrics, so two servers in one process never collide).
 */
export function createRouterMetrics(registry?: Registry): RouterMetrics {
  const reg = registry ?? new Registry();
  if (registry === undefined) collectDefaultMetrics({ register: reg });
  const registers = [reg];
  const rpcCalls = new Counter({ name: "podium_router_rpc_calls_total", help: "RPCs served, by method and status code.", labelNames: ["rpc", "code"], registers });
  const rpcDuration = new Histogram({ name: "podium_router_rpc_duration_seconds", help: "RPC wall time in the server, by method.", labelNames: ["rpc"], buckets: LATENCY_BUCKETS, registers });
  const routed = new Counter({ name: "podium_router_routed_calls_total", help: "Routed Podium calls, by outcome (OK or the ERR_LOC_* code).", labelNames: ["outcome"], registers });
  const upstream = new Histogram({ name: "podium_router_upstream_latency_seconds", help: "Time spent waiting for Podium, by status class.", labelNames: ["status_class"], buckets: LATENCY_BUCKETS, registers });
  const budgetWait = new Histogram({ name: "podium_router_budget_wait_seconds", help: "Time calls waited for their rate budget.", buckets: WAIT_BUCKETS, registers });
  const budgetRefused = new Counter({ name: "podium_router_budget_refusals_total", help: "Calls refused because the budget wait would exceed the bound.", registers });
  const verifications = new Counter({ name: "podium_router_verifications_total", help: "Location verifications, by cache result (hit or miss).", labelNames: ["cache"], registers });
  const budgetBackends = new Counter({ name: "podium_router_budget_decisions_total", help: "Which budget decided a call: the shared one (redis), a local fallback, or none (refused).", labelNames: ["backend"], registers });
  const refreshes = new Counter({ name: "podium_router_token_refreshes_total", help: "OAuth token refreshes, by outcome.", labelNames: ["outcome"], registers });
  const connectionsOpen = new Gauge({ name: "podium_router_connections_open", help: "Client connections open on the router's port.", registers });
  const idleClosed = new Counter({
    name: "podium_router_connections_idle_closed_total",
    help: "Connections the server closed while idle, by trigger: idle_timeout, header_timeout, cap (room for a new one), keepalive_timeout.",
    labelNames: ["trigger"],
    registers,
  });
  const refused = new Counter({ name: "podium_router_connections_refused_total", help: "Connections refused at server.max_connections (every open one busy).", registers });
  const eventsReceived = new Counter({
    name: "podium_router_events_received_total",
    help: "Podium webhook requests answered, by outcome: stored, duplicate, or the ERR_LOC_* code of a refusal.",
    labelNames: ["outcome"],
    registers,
  });
  const eventReceive = new Histogram({ name: "podium_router_event_receive_seconds", help: "Time to answer a webhook request (stored events: including the durable commit).", buckets: LATENCY_BUCKETS, registers });
  const eventsDelivered = new Counter({ name: "podium_router_events_delivered_total", help: "Events handed to subscribers, by channel (stream, forwarder).", labelNames: ["channel"], registers });
  const eventsDead = new Counter({ name: "podium_router_events_dead_lettered_total", help: "Forwarded events given up on after their last attempt.", registers });
  const eventStreams = new Gauge({ name: "podium_router_event_streams_open", help: "WatchEvents streams open.", registers });
  const auditFailures = new Counter({
    name: "podium_router_audit_write_failures_total",
    help: "Failed writes, syncs or opens of the audit log (each retry counts); while they fail, writes are refused with ERR_LOC_AUDIT_UNAVAILABLE.",
    registers,
  });
  let readPending: () => number | undefined = () => 0;
  new Gauge({
    name: "podium_router_audit_pending_bytes",
    help: "Bytes of audit lines waiting in memory for the disk (bounded by audit.max_pending_bytes).",
    registers,
    collect() {
      this.set(readPending() ?? 0);
    },
  });

  // Label lookups hash the label values on every call; the children are cached instead, which keeps
  // the per-call cost to an increment. The key sets are bounded (see RouterMetrics).
  const rpcChildren = new Map<string, { calls: Map<number, Counter.Internal>; duration: Histogram.Internal<string> }>();
  const rpcChild = (rpc: string) => {
    let c = rpcChildren.get(rpc);
    if (c === undefined) rpcChildren.set(rpc, (c = { calls: new Map(), duration: rpcDuration.labels(rpc) }));
    return c;
  };

  return {
    registry: reg,
    rpcFinished(rpc, code, ms) {
      const child = rpcChild(rpc);
      let calls = child.calls.get(code);
      if (calls === undefined) child.calls.set(code, (calls = rpcCalls.labels(rpc, code === 0 ? "OK" : (Code[code] ?? "Unknown"))));
      calls.inc();
      child.duration.observe(ms / 1000);
    },
    observer: {
      callOutcome: (outcome) => routed.labels(outcome).inc(),
      upstreamLatency: (ms, status) => upstream.labels(statusClass(status)).observe(ms / 1000),
      budgetWait: (ms) => budgetWait.observe(ms / 1000),
      budgetRefused: () => budgetRefused.inc(),
      verification: (cacheHit) => verifications.labels(cacheHit ? "hit" : "miss").inc(),
      refresh: (outcome) => refreshes.labels(outcome).inc(),
      budgetBackend: (outcome) => budgetBackends.labels(outcome).inc(),
      auditWriteFailure: () => auditFailures.inc(),
    },
    watchAuditPending(read) {
      readPending = read;
    },
    events: {
      received: (outcome) => eventsReceived.labels(outcome).inc(),
      receiveLatency: (ms) => eventReceive.observe(ms / 1000),
      delivered: (channel) => eventsDelivered.labels(channel).inc(),
      deadLettered: () => eventsDead.inc(),
      streams: (delta) => eventStreams.inc(delta),
    },
    connections: {
      opened: () => connectionsOpen.inc(),
      closed: () => connectionsOpen.dec(),
      closedIdle: (trigger) => idleClosed.labels(trigger).inc(),
      refused: () => refused.inc(),
    },
    async render() {
      return { contentType: reg.contentType, body: await reg.metrics() };
    },
  };
}
