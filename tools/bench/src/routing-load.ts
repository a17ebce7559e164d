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

/** One slice as the parent asks a child for it. */
export interface RunArg {
  id: string;
  concurrency: number;
  durationMs: number;
  /** False for warm-up: nothing is recorded. */
  record: boolean;
  /**
   * Open loop instead: one call started every 1/ratePerSecond s whether or not the last has answered
   * (`concurrency` is ignored), so a stalled router shows in the latencies instead of slowing the load.
   */
  ratePerSecond?: number | undefined;
  /** Closed loop only: after a failed call, its caller waits this long before the next (a client honouring a retry delay). @default 0 */
  backoffMs?: number | undefined;
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
export async function runClosedLoop(
  call: () => Promise<void>,
  concurrency: number,
  durationMs: number,
  latencies: LatencyRecorder = createLatencyRecorder(),
  backoffMs = 0,
): Promise<LoadSlice> {
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
        if (backoffMs > 0) await sleep(Math.min(backoffMs, end - performance.now()));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { count, errors, elapsedMs: performance.now() - started, firstError };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Starts `call` every 1/`ratePerSecond` s for `durationMs` (an open loop: the schedule does not wait for
 * answers, so nothing hides a slow answer), adding each answered call's latency to `latencies`; the slice
 * ends when the last call answers.
 */
export async function runOpenLoop(call: () => Promise<void>, ratePerSecond: number, durationMs: number, latencies: LatencyRecorder = createLatencyRecorder()): Promise<LoadSlice> {
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; ; i++) {
    const at = started + (i * 1_000) / ratePerSecond;
    if (at >= started + durationMs) break;
    await sleep(at - performance.now());
    // Measured from the scheduled start: a sender that fell behind counts against the router, not for it.
    inFlight.push(
      call().then(
        () => {
          latencies.add(performance.now() - at);
          count++;
        },
        (err: unknown) => {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        },
      ),
    );
  }
  await Promise.all(inFlight);
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

/** Runs slices for named callers and adds them up per caller and concurrency; what a load-running child keeps. */
export interface LoadRunner {
  /**
   * One slice of `call` under `id`; recorded (latencies and counts) unless `record` is false (warm-up).
   * Closed loop at `concurrency`, or open loop when `pace.ratePerSecond` is set.
   */
  run(id: string, call: () => Promise<void>, concurrency: number, durationMs: number, record: boolean, pace?: Pick<RunArg, "ratePerSecond" | "backoffMs">): Promise<LoadSlice>;
  /** Everything recorded under `id` at `concurrency`. */
  result(id: string, concurrency: number): LoadResult;
}

/** A {@link LoadRunner} with one latency recorder per caller and concurrency. */
export function createLoadRunner(): LoadRunner {
  const recorded = new Map<string, { latencies: LatencyRecorder; slices: LoadSlice[] }>();
  return {
    async run(id, call, concurrency, durationMs, record, pace = {}) {
      const drive = (latencies?: LatencyRecorder): Promise<LoadSlice> =>
        pace.ratePerSecond !== undefined ? runOpenLoop(call, pace.ratePerSecond, durationMs, latencies) : runClosedLoop(call, concurrency, durationMs, latencies, pace.backoffMs);
      if (!record) return drive();
      const key = `${id}@${concurrency}`;
      let acc = recorded.get(key);
      if (acc === undefined) recorded.set(key, (acc = { latencies: createLatencyRecorder(), slices: [] }));
      const slice = await drive(acc.latencies);
      acc.slices.push(slice);
      return slice;
    },
    result(id, concurrency) {
      const acc = recorded.get(`${id}@${concurrency}`);
      if (acc === undefined) throw new Error(`nothing recorded for ${id} at ${concurrency}`);
      return combineSlices(concurrency, acc.latencies, acc.slices);
    },
  };
}
