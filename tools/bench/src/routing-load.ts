/** The closed-loop load generator: `concurrency` callers, each sending its next call when the last one answered. */
import { performance } from "node:perf_hooks";
import { createLatencyRecorder, type LatencySummary } from "./bench-stats.js";

/** What one run measured. */
export interface LoadResult extends LatencySummary {
  concurrency: number;
  /** Wall time from the first call sent to the last answer read. */
  elapsedMs: number;
  /** Answered calls per second over `elapsedMs`. */
  callsPerSecond: number;
  errors: number;
  /** The first failure's message, to say why a row has errors. */
  firstError?: string | undefined;
}

/**
 * Runs `call` from `concurrency` loops for `durationMs`: no call starts after the time is up, and the
 * run ends when the last one answers, so every counted call started and finished inside the run.
 */
export async function runClosedLoop(call: () => Promise<void>, concurrency: number, durationMs: number): Promise<LoadResult> {
  const latencies = createLatencyRecorder();
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
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedMs = performance.now() - started;
  const summary = latencies.summary();
  return { ...summary, concurrency, elapsedMs, callsPerSecond: summary.count / (elapsedMs / 1_000), errors, firstError };
}
