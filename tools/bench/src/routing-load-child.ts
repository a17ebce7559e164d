/**
 * Child process: the load generator for `npm run bench`, kept out of the router's process. It holds
 * one caller per scenario, so the parent can interleave scenarios slice by slice, and one latency
 * recorder per scenario and concurrency, so the slices add up to one row.
 */
import { createLatencyRecorder, type LatencyRecorder } from "./bench-stats.js";
import { serveBenchParent } from "./bench-child.js";
import { combineSlices, runClosedLoop, type LoadSlice } from "./routing-load.js";
import { createTarget, type Target, type TargetSpec } from "./routing-targets.js";

/** One scenario at one concurrency. */
interface RunArg {
  id: string;
  concurrency: number;
  durationMs: number;
  /** False for warm-up: nothing is recorded. */
  record: boolean;
}

const targets = new Map<string, Target>();
const recorded = new Map<string, { latencies: LatencyRecorder; slices: LoadSlice[] }>();

function targetOf(id: string): Target {
  const target = targets.get(id);
  if (target === undefined) throw new Error(`no target ${id}; prepare it first`);
  return target;
}

serveBenchParent({
  prepare: async ({ id, spec }: { id: string; spec: TargetSpec }) => {
    await targets.get(id)?.close();
    const target = createTarget(spec);
    targets.set(id, target);
    // One call first: a misconfigured target fails here, with its reason, not as a row of errors.
    await target.call();
  },
  run: async ({ id, concurrency, durationMs, record }: RunArg) => {
    const target = targetOf(id);
    const key = `${id}@${concurrency}`;
    if (!record) return runClosedLoop(() => target.call(), concurrency, durationMs);
    let acc = recorded.get(key);
    if (acc === undefined) recorded.set(key, (acc = { latencies: createLatencyRecorder(), slices: [] }));
    const slice = await runClosedLoop(() => target.call(), concurrency, durationMs, acc.latencies);
    acc.slices.push(slice);
    return slice;
  },
  result: ({ id, concurrency }: { id: string; concurrency: number }) => {
    const acc = recorded.get(`${id}@${concurrency}`);
    if (acc === undefined) throw new Error(`nothing recorded for ${id} at ${concurrency}`);
    return combineSlices(concurrency, acc.latencies, acc.slices);
  },
  dispose: async ({ id }: { id: string }) => {
    await targets.get(id)?.close();
    targets.delete(id);
  },
  cpu: () => process.cpuUsage(),
  close: async () => {
    await Promise.all([...targets.values()].map((t) => t.close()));
  },
});
