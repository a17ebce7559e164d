/**
 * The events bench: Podium webhooks, signed as Podium signs them, posted by `concurrency` closed loops to the
 * router's receiver and, in the same run, to a raw HTTP receiver on the router's process (the ceiling); a
 * subscriber on WatchEvents (gRPC), in a process of its own, receives each stored event. Measured: webhooks answered per second and their
 * answer time, events per second from receipt to the subscriber, and receipt-to-delivery p50/p99 (from the moment
 * the webhook was sent to the moment the subscriber had it; one clock, the parent's), each against the raw rate.
 * Slices alternate raw and router so load from elsewhere on the machine falls on both alike.
 */
import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { forkBenchChild, type BenchChild } from "./bench-child.js";
import { createLatencyRecorder, type LatencySummary } from "./bench-stats.js";
import type { EventsBenchTargets } from "./events-router-child.js";
import { runClosedLoop } from "./routing-load.js";

/** Options of {@link runEventsBench}. */
export interface EventsBenchOptions {
  /** Measured time per receiver, split into two slices each. @default 6000 */
  measureMs?: number;
  /** Unrecorded load on the router first (JIT, SQLite cache). @default 1000 */
  warmupMs?: number;
  /** Webhooks in flight at once (Podium sends one at a time per webhook; this is many webhooks). @default 16 */
  concurrency?: number;
}

/** What one receiver did. */
export interface ReceiverFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** The bench's figures. */
export interface EventsBenchResult {
  concurrency: number;
  raw: ReceiverFigures;
  /** The router's receiver: webhooks answered (stored, durable) per second and their answer time. */
  acknowledged: ReceiverFigures;
  /** Events from receipt to the subscriber: per second over the router slices, and receipt-to-delivery times. */
  delivered: ReceiverFigures & { lost: number };
  /** Router process CPU per stored-and-delivered event, ms. */
  routerCpuMsPerEvent: number;
}

const API_KEY = "bench-events-key";
/** Epoch ms with sub-millisecond precision, comparable across this machine's processes. */
const epochNow = (): number => performance.timeOrigin + performance.now();

export async function runEventsBench(options: EventsBenchOptions = {}): Promise<EventsBenchResult> {
  const measureMs = options.measureMs ?? 6_000;
  const warmupMs = options.warmupMs ?? 1_000;
  const concurrency = options.concurrency ?? 16;
  const stateDir = await mkdtemp(join(tmpdir(), "bench-events-"));
  const child = await forkBenchChild(new URL("./events-router-child.js", import.meta.url));
  let subscriber: BenchChild | undefined;
  try {
    const t = await child.request<EventsBenchTargets>("start", { stateDir, apiKey: API_KEY });
    const pools = { raw: new Pool(new URL(t.rawUrl).origin, { connections: concurrency }), router: new Pool(new URL(t.webhookUrl).origin, { connections: concurrency }) };
    const rawPath = new URL(t.rawUrl).pathname;
    const hookPath = new URL(t.webhookUrl).pathname;
    let n = 0;
    let sent = 0;
    const post = async (pool: Pool, path: string): Promise<void> => {
      const uid = `bench-${++n}`;
      const body = JSON.stringify({ data: { uid, locationUid: t.locationUid, direction: "inbound", status: "received", sentAt: epochNow() }, metadata: { event_type: "call.received", version: "2021.04.01" } });
      const ts = String(Date.now());
      const signature = createHmac("sha256", t.secret).update(`${ts}.${body}`).digest("hex");
      const res = await pool.request({ method: "POST", path, headers: { "content-type": "application/json", "podium-timestamp": ts, "podium-signature": signature }, body });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    };

    // The subscriber, in its own process: only events sent from now on.
    subscriber = await forkBenchChild(new URL("./events-subscriber-child.js", import.meta.url));
    await subscriber.request("start", { routerUrl: t.routerUrl, apiKey: API_KEY, locationUid: t.locationUid });
    await new Promise((r) => setTimeout(r, 300));

    await runClosedLoop(() => post(pools.router, hookPath), concurrency, warmupMs);
    await runClosedLoop(() => post(pools.raw, rawPath), concurrency, Math.min(warmupMs, 500));

    const raw = { latencies: createLatencyRecorder(), count: 0, errors: 0, ms: 0 };
    const hook = { latencies: createLatencyRecorder(), count: 0, errors: 0, ms: 0 };
    const deliveries: Array<LatencySummary & { lastAt: number }> = [];
    let routerMs = 0;
    const cpuBefore = await child.request<NodeJS.CpuUsage>("cpu");
    for (let slice = 0; slice < 2; slice++) {
      const r = await runClosedLoop(() => post(pools.raw, rawPath), concurrency, measureMs / 2, raw.latencies);
      [raw.count, raw.errors, raw.ms] = [raw.count + r.count, raw.errors + r.errors, raw.ms + r.elapsedMs];
      // Everything stored before this slice has reached the subscriber: its count is the baseline.
      const before = await subscriber.request<number>("seen");
      await subscriber.request("record");
      const start = epochNow();
      const h = await runClosedLoop(() => post(pools.router, hookPath), concurrency, measureMs / 2, hook.latencies);
      [hook.count, hook.errors, hook.ms] = [hook.count + h.count, hook.errors + h.errors, hook.ms + h.elapsedMs];
      sent += h.count;
      // The slice ends when its last event reached the subscriber (or after 10 s).
      for (const end = performance.now() + 10_000; (await subscriber.request<number>("seen")) - before < h.count && performance.now() < end; ) await new Promise((res) => setTimeout(res, 5));
      const d = await subscriber.request<LatencySummary & { lastAt: number }>("stopRecording");
      deliveries.push(d);
      routerMs += Math.max(d.lastAt, start + h.elapsedMs) - start;
    }
    const cpuAfter = await child.request<NodeJS.CpuUsage>("cpu");
    const deliveredCount = deliveries.reduce((sum, d) => sum + d.count, 0);
    await Promise.all([pools.raw.close(), pools.router.close()]);
    const figures = (s: LatencySummary, count: number, ms: number, errors: number): ReceiverFigures => ({ perSecond: (count / ms) * 1000, p50Ms: s.p50Ms, p99Ms: s.p99Ms, errors });
    // Two slices' percentiles: the worse of each (the samples stay in the subscriber's process).
    const delivery = { count: deliveredCount, p50Ms: Math.max(...deliveries.map((d) => d.p50Ms)), p99Ms: Math.max(...deliveries.map((d) => d.p99Ms)), meanMs: 0 };
    const cpuMs = (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1000;
    return {
      concurrency,
      raw: figures(raw.latencies.summary(), raw.count, raw.ms, raw.errors),
      acknowledged: figures(hook.latencies.summary(), hook.count, hook.ms, hook.errors),
      delivered: { ...figures(delivery, deliveredCount, routerMs, 0), lost: sent - deliveredCount },
      // The raw slices' CPU is small but counted here too: an upper bound for the router's cost per event.
      routerCpuMsPerEvent: deliveredCount === 0 ? 0 : cpuMs / deliveredCount,
    };
  } finally {
    await subscriber?.close();
    await child.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The events bench as a markdown table, with every rate as a ratio of the raw receive rate in the same run. */
export function formatEventsBench(r: EventsBenchResult): string {
  const rate = (v: number): string => Math.round(v).toLocaleString("en-US");
  const ratio = (v: number): string => `${(v / r.raw.perSecond).toFixed(2)}×`;
  const ms = (v: number): string => v.toFixed(2);
  return [
    `Inbound events (${r.concurrency} webhooks in flight; router on SQLite with synchronous=FULL; subscriber on WatchEvents over gRPC)`,
    "",
    "| measure | per second | vs raw receive rate | p50 ms | p99 ms |",
    "|---|---|---|---|---|",
    `| raw HTTP receive (read body, answer 200) | ${rate(r.raw.perSecond)} | 1.00× | ${ms(r.raw.p50Ms)} | ${ms(r.raw.p99Ms)} |`,
    `| webhooks acknowledged (verified, durably stored) | ${rate(r.acknowledged.perSecond)} | ${ratio(r.acknowledged.perSecond)} | ${ms(r.acknowledged.p50Ms)} | ${ms(r.acknowledged.p99Ms)} |`,
    `| events receipt → subscriber | ${rate(r.delivered.perSecond)} | ${ratio(r.delivered.perSecond)} | ${ms(r.delivered.p50Ms)} | ${ms(r.delivered.p99Ms)} |`,
    "",
    `Router CPU per event: ${r.routerCpuMsPerEvent.toFixed(3)} ms. Errors: raw ${r.raw.errors}, receiver ${r.acknowledged.errors}; events not delivered within 10 s: ${r.delivered.lost}.`,
  ].join("\n");
}
