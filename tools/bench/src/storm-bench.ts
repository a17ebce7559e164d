/**
 * The storm scenario of `npm run bench` (issue 11 item 9): one credential's calls meet a Podium 429 storm
 * while another credential's location is called at a steady rate. The figure is that other location's
 * p50/p99 during the storm, as a ratio to the same load without it (goal ≤ 1.5×). Sandbox, router and two
 * load generators (the stormed callers, the neighbour) run as separate processes, as in the routing bench.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forkBenchChild, type BenchChild } from "./bench-child.js";
import { startSandboxAndRouter } from "./routing-bench.js";
import type { LoadResult } from "./routing-load.js";
import { BENCH_GRANT_ID, BENCH_LOCATION, BENCH_NEIGHBOUR_LOCATION } from "./routing-router.js";
import type { PodiumRequestSpec, TargetSpec } from "./routing-targets.js";

/** Options of {@link runStormBench}. */
export interface StormBenchOptions {
  /** Measured time per phase and round (baseline, then storm). @default 5000 */
  phaseMs?: number;
  /** Baseline/storm pairs, taken in turn. @default 2 */
  rounds?: number;
  /** The neighbour's steady rate, calls per second (open loop). @default 50 */
  neighbourRate?: number;
  /** Stormed callers in flight, each retrying one second after a refusal. @default 64 */
  stormConcurrency?: number;
  progress?: (line: string) => void;
}

/** What one run measured. */
export interface StormBenchResult {
  phaseMs: number;
  rounds: number;
  neighbourRate: number;
  stormConcurrency: number;
  /** The neighbour without the storm. */
  baseline: LoadResult;
  /** The neighbour while the other credential is stormed. */
  storm: LoadResult;
  /** The stormed callers: answered and refused calls. */
  stormed: LoadResult;
  /** Podium requests the stormed credential sent during the storm phases, and how many were answered 429. */
  stormedSends: number;
  stormed429: number;
  ratioP50: number;
  ratioP99: number;
}

/** The goal: the neighbour's p50 and p99 within 1.5× of the same load without the storm. */
export const STORM_RATIO_GOAL = 1.5;
/** Podium's Retry-After during the storm, seconds. */
const RETRY_AFTER_SECONDS = 1;
/**
 * Budgets high enough that the neighbour's steady load is never held by its own budget, at Podium's scale
 * for the stormed one: after each pause its held calls leave at 100/s, one per 10 ms.
 */
const BUDGETS = {
  location: { rate_per_minute: 6_000, burst: 100 },
  upstream: { rate_per_minute: 6_000, burst: 100 },
  max_wait_ms: 2_000,
};

const child = (name: string): URL => new URL(`./${name}.js`, import.meta.url);
const requestFor = (locationUid: string): PodiumRequestSpec => ({ locationUid, method: "GET", path: "/v4/reviews" });

/** Runs the scenario; every child is closed whatever happens. */
export async function runStormBench(options: StormBenchOptions = {}): Promise<StormBenchResult> {
  const phaseMs = options.phaseMs ?? 5_000;
  const rounds = Math.max(1, options.rounds ?? 2);
  const neighbourRate = options.neighbourRate ?? 50;
  const stormConcurrency = options.stormConcurrency ?? 64;
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = await mkdtemp(join(tmpdir(), "podium-router-storm-bench-"));
  const children: BenchChild[] = [];
  try {
    const { sandbox, apiKey, router } = await startSandboxAndRouter(children, join(stateDir, "router"), { budgets: BUDGETS, neighbour: true });
    const { routedUrl } = router.urls;
    // Two load generators: the stormed callers must not share an event loop with the neighbour's timer.
    const neighbour = await forkBenchChild(child("routing-load-child"));
    children.push(neighbour);
    const stormed = await forkBenchChild(child("routing-load-child"));
    children.push(stormed);
    const spec = (locationUid: string): TargetSpec => ({ kind: "grpc-js", baseUrl: routedUrl, apiKey, request: requestFor(locationUid) });
    for (const id of ["neighbour", "neighbour-storm"]) await neighbour.request("prepare", { id, spec: spec(BENCH_NEIGHBOUR_LOCATION) });
    await stormed.request("prepare", { id: "stormed", spec: spec(BENCH_LOCATION) });

    const neighbourRun = (record: boolean, durationMs: number) => ({ id: "neighbour", concurrency: 1, durationMs, record, ratePerSecond: neighbourRate });
    progress(`bench storm: warm-up (${neighbourRate}/s on the neighbour)`);
    await neighbour.request("run", neighbourRun(false, 1_000));
    let stormedSends = 0;
    let stormed429 = 0;
    for (let round = 1; round <= rounds; round++) {
      progress(`bench storm: round ${round}/${rounds}, baseline`);
      await neighbour.request("run", neighbourRun(true, phaseMs));
      progress(`bench storm: round ${round}/${rounds}, storm on ${BENCH_GRANT_ID}`);
      await sandbox.request("faults", { rateLimitStorm: { retryAfterSeconds: RETRY_AFTER_SECONDS, grants: [BENCH_GRANT_ID] } });
      const sinceSeq = await sandbox.request<number>("lastSeq");
      // The stormed callers start first and run a second past the measured phase, so the neighbour is measured
      // only while the storm is in full swing.
      const storming = stormed.request("run", { id: "stormed", concurrency: stormConcurrency, durationMs: phaseMs + 2_000, record: true, backoffMs: RETRY_AFTER_SECONDS * 1_000 });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await neighbour.request("run", { ...neighbourRun(true, phaseMs), id: "neighbour-storm" });
      await storming;
      const sent = await sandbox.request<{ sends: number; status429: number }>("sends", { grantId: BENCH_GRANT_ID, sinceSeq });
      stormedSends += sent.sends;
      stormed429 += sent.status429;
      await sandbox.request("faults", { rateLimitStorm: false });
      // Let the stormed credential's last pause end before the next baseline.
      await new Promise((resolve) => setTimeout(resolve, 2 * RETRY_AFTER_SECONDS * 1_000));
    }
    const baseline = await neighbour.request<LoadResult>("result", { id: "neighbour", concurrency: 1 });
    const storm = await neighbour.request<LoadResult>("result", { id: "neighbour-storm", concurrency: 1 });
    const stormedResult = await stormed.request<LoadResult>("result", { id: "stormed", concurrency: stormConcurrency });
    return {
      phaseMs,
      rounds,
      neighbourRate,
      stormConcurrency,
      baseline,
      storm,
      stormed: stormedResult,
      stormedSends,
      stormed429,
      ratioP50: storm.p50Ms / baseline.p50Ms,
      ratioP99: storm.p99Ms / baseline.p99Ms,
    };
  } finally {
    for (const c of children.reverse()) await c.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

const f = (n: number, digits = 2): string => n.toFixed(digits);

/** The scenario's row as markdown, with the goal's verdict. */
export function formatStormBench(r: StormBenchResult): string {
  const met = r.ratioP50 <= STORM_RATIO_GOAL && r.ratioP99 <= STORM_RATIO_GOAL;
  return [
    `**Another credential during a 429 storm** (${r.rounds} × ${r.phaseMs / 1000} s per phase; the neighbour at ${r.neighbourRate} calls/s, open loop, gRPC; ` +
      `${r.stormConcurrency} callers of the stormed credential retrying 1 s after each refusal, Podium answering them 429 with Retry-After ${RETRY_AFTER_SECONDS} s):`,
    "",
    "| neighbour | calls | p50 ms | p99 ms |",
    "|---|---|---|---|",
    `| without the storm | ${r.baseline.count} | ${f(r.baseline.p50Ms)} | ${f(r.baseline.p99Ms)} |`,
    `| during the storm | ${r.storm.count} | ${f(r.storm.p50Ms)} | ${f(r.storm.p99Ms)} |`,
    `| ratio (goal ≤ ${STORM_RATIO_GOAL}×) | | ${f(r.ratioP50)}× | ${f(r.ratioP99)}× |`,
    "",
    `Stormed credential: ${r.stormed.count + r.stormed.errors} calls, ${r.stormed.errors} refused; ${r.stormedSends} sent to Podium during the storm phases (${r.stormed429} answered 429). ` +
      `Neighbour errors: ${r.baseline.errors + r.storm.errors}. Goal ${met ? "**met**" : "**missed**"}.`,
  ].join("\n");
}
