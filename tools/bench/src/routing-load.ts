/** The closed-loop load generator: `concurrency` callers, each sending its next call when the last one answered. */
import { performance } from "node:perf_hooks";
import { createLatencyRecorder, type LatencyRecorder, type LatencySummary } from "./bench-stats.js";

/** One stretch of load. */
export interface LoadSlice {
  /** Answered calls. */
  count: number;
  errors: number;
  /** Wall time from the first call sent to the last answer read. */
  elapsedMs: number;
  /** The first failure's message, to say why a row has errors. */
  firstError?: string | undefined;
}

/** What the slices of one scenario at one concurrency measured together. */
export interface LoadResult extends LatencySummary {
  concurrency: number;
  elapsedMs: number;
  /** Answered calls per second over `elapsedMs`. */
  callsPerSecond: number;
  errors: number;
  firstError?: string | undefined;
}

/**
 * Runs `call` from `concurrency` loops for `durationMs`, adding each answered call's latency to
 * `latencies`: no call starts after the time is up, and the slice ends when the last one answers, so
 * every counted call started and finished inside it.
 */
export async function runClosedLoop(call: () => Promise<void>, concurrency: number, durationMs: number, latencies: LatencyRecorder = createLatencyRecorder()): Promise<LoadSlice> {
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + durationMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await call();
        latencies.add(performance.now() - t);
        count++;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { count, errors, elapsedMs: performance.now() - started, firstError };
}

/** Combines the slices of one scenario (whose latencies went to one recorder) into its result. */
export function combineSlices(concurrency: number, latencies: LatencyRecorder, slices: readonly LoadSlice[]): LoadResult {
  const summary = latencies.summary();
  const elapsedMs = slices.reduce((t, s) => t + s.elapsedMs, 0);
  const errors = slices.reduce((t, s) => t + s.errors, 0);
  const firstError = slices.find((s) => s.firstError !== undefined)?.firstError;
  return { ...summary, concurrency, elapsedMs, callsPerSecond: elapsedMs === 0 ? 0 : summary.count / (elapsedMs / 1_000), errors, firstError };
}
