/** The measured part of `npm run bench`: scenarios taking turns, slice by slice, with each process's CPU time read around every slice. */
import { performance } from "node:perf_hooks";
import type { BenchChild } from "./bench-child.js";
import { machineBusyMs, type CpuSample } from "./bench-stats.js";
import type { BenchPath, BenchRow } from "./routing-bench.js";
import type { LoadResult } from "./routing-load.js";

/** One scenario as the child that drives it knows it (prepared under `id`). */
export interface Scenario {
  id: string;
  path: BenchPath;
  protocol: string;
  /** Which process sends the calls: the load generator, or the router itself (the "core" scenario). */
  driver: "load" | "router";
  /** Present on the ownership rows: what the table calls the row. */
  label?: string | undefined;
}

/** The three bench processes. */
export interface BenchProcesses {
  router: BenchChild;
  sandbox: BenchChild;
  load: BenchChild;
}

/** How long and how often to measure. */
export interface MeasurePlan {
  /** Concurrencies, measured in this order. */
  levels: readonly number[];
  warmupMs: number;
  /** Measured time per row, split into `rounds` slices. */
  measureMs: number;
  rounds: number;
  progress: (line: string) => void;
}

/** CPU ms used by each process (and by everything else on the machine) over a row's slices. */
interface CpuTally {
  router: number;
  sandbox: number;
  load: number;
  others: number;
  wallMs: number;
  /** Podium requests the sandbox answered, and owner lookups the router sent, during the row's slices. */
  upstream: number;
  lookups: number;
}

const usedMs = (a: CpuSample, b: CpuSample): number => (b.user - a.user + b.system - a.system) / 1_000;

/**
 * Measures every scenario at every level. Scenarios take turns, one slice each per round, so a burst
 * of other work on the machine lands on all of them rather than on one row. CPU is read from each
 * process between slices, while no call is in flight, so every slice's CPU belongs to its calls.
 */
export async function measureRows(procs: BenchProcesses, scenarios: readonly Scenario[], plan: MeasurePlan): Promise<BenchRow[]> {
  const { load } = procs;
  const driver = (s: Scenario): BenchChild => (s.driver === "router" ? procs.router : load);
  const cpu = (): Promise<CpuSample[]> => Promise.all([procs.router, procs.sandbox, load].map((c) => c.request<CpuSample>("cpu")));
  const counts = (): Promise<[number, number]> => Promise.all([procs.sandbox.request<number>("requests"), procs.router.request<number>("lookups")]);
  const tallies = new Map<string, CpuTally>();
  for (const concurrency of plan.levels) {
    plan.progress(`bench: ${concurrency} in flight: warming up ${scenarios.length} scenarios`);
    for (const s of scenarios) await driver(s).request("run", { id: s.id, concurrency, durationMs: plan.warmupMs, record: false });
    for (let round = 1; round <= plan.rounds; round++) {
      plan.progress(`bench: ${concurrency} in flight: round ${round} of ${plan.rounds}`);
      for (const s of scenarios) {
        const { id } = s;
        const countsBefore = await counts();
        const before = await cpu();
        const [busyBefore, wallBefore] = [machineBusyMs(), performance.now()];
        await driver(s).request("run", { id, concurrency, durationMs: plan.measureMs / plan.rounds, record: true });
        const [busyAfter, wallAfter] = [machineBusyMs(), performance.now()];
        const after = await cpu();
        const countsAfter = await counts();
        const [router, sandbox, ld] = [0, 1, 2].map((i) => usedMs(before[i]!, after[i]!)) as [number, number, number];
        const key = `${id}@${concurrency}`;
        const t = tallies.get(key) ?? { router: 0, sandbox: 0, load: 0, others: 0, wallMs: 0, upstream: 0, lookups: 0 };
        t.upstream += countsAfter[0] - countsBefore[0];
        t.lookups += countsAfter[1] - countsBefore[1];
        t.router += router;
        t.sandbox += sandbox;
        t.load += ld;
        t.others += Math.max(0, busyAfter - busyBefore - router - sandbox - ld);
        t.wallMs += wallAfter - wallBefore;
        tallies.set(key, t);
      }
    }
  }

  const rows: BenchRow[] = [];
  for (const scenario of scenarios) {
    for (const concurrency of plan.levels) {
      const result = await driver(scenario).request<LoadResult>("result", { id: scenario.id, concurrency });
      const t = tallies.get(`${scenario.id}@${concurrency}`)!;
      const per = (ms: number): number => (result.count === 0 ? 0 : ms / result.count);
      rows.push({
        path: scenario.path,
        protocol: scenario.protocol,
        result,
        routerCpuMs: scenario.path === "direct" ? 0 : per(t.router),
        sandboxCpuMs: per(t.sandbox),
        loadCpuMs: per(t.load),
        otherCpus: t.wallMs === 0 ? 0 : t.others / t.wallMs,
        upstreamPerCall: per(t.upstream),
        ownerLookupsPerCall: per(t.lookups),
        ...(scenario.label === undefined ? {} : { label: scenario.label }),
      });
    }
  }
  return rows;
}
