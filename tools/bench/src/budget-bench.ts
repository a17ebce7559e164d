/**
 * Benchmark: what a budget decision costs in Redis (one Lua script, one round trip) against the
 * in-memory budgets, in one run, as a ratio. Limits are set so high that every call is admitted: this
 * measures the decision itself, not waiting for tokens.
 */
import { randomUUID } from "node:crypto";
import { createRateBudgets, createRedisConnection, createRedisRateBudgets } from "@podium-router/core";
import type { RateBudgets, RedisConnection } from "@podium-router/core";

/** One measured backend. */
export interface BudgetBenchRow {
  backend: "memory" | "redis" | "redis (16 in flight)";
  decisions: number;
  /** Per decision, microseconds (for the concurrent row: wall time / decisions). */
  meanUs: number;
  p50Us: number;
  p99Us: number;
  /** meanUs / the memory row's meanUs: the added cost per decision, queueing and GC included. */
  ratio: number;
  /** p50Us / the memory row's p50Us: the typical decision, without the tail. */
  ratioP50: number;
}

/** Options of `runBudgetBench()`. */
export interface BudgetBenchOptions {
  /** @default "redis://127.0.0.1:6379" (or PODIUM_ROUTER_BENCH_REDIS_URL) */
  redisUrl?: string | undefined;
  /** Measured decisions per backend, after as many warm-up ones / 10. @default 20000 */
  decisions?: number | undefined;
}

const OPEN = { ratePerMinute: 1e12, burst: 1e9 };

/** Runs the benchmark; rejects when Redis is unreachable (the Redis rows would only measure the fallback). */
export async function runBudgetBench(options: BudgetBenchOptions = {}): Promise<BudgetBenchRow[]> {
  const decisions = options.decisions ?? 20_000;
  const url = options.redisUrl ?? process.env["PODIUM_ROUTER_BENCH_REDIS_URL"] ?? "redis://127.0.0.1:6379";
  // The budgets are open, so no decision waits for tokens; but with Redis, concurrent calls of one location
  // queue behind the one whose round trip is in flight, so a wait limit of 0 would refuse them under load.
  const budgetOptions = { location: OPEN, upstream: OPEN, maxWaitMs: 5_000, overrides: {} };

  const memory = createRateBudgets(budgetOptions);
  const mem = await measure(memory, decisions);
  memory.close();

  const keyPrefix = `podium-router-bench:${randomUUID().slice(0, 8)}:`;
  const connection = createRedisConnection({
    redis: { url, keyPrefix, commandTimeoutMs: 1_000, connectTimeoutMs: 1_000, replicas: 1 },
    breaker: { failureThreshold: 3, resetMs: 1_000 },
  });
  const unreachable: string[] = [];
  const redis = createRedisRateBudgets(
    { ...budgetOptions, redisDown: { reads: "refuse", writes: "refuse" }, replicas: 1 },
    { connection, onOutcome: (o) => o !== "redis" && unreachable.push(o) },
  );
  try {
    const red = await measure(redis, decisions);
    const par = await measureConcurrent(redis, decisions, 16);
    if (unreachable.length > 0) throw new Error(`Redis at ${new URL(url).host} did not answer every decision; no figures`);
    return [
      { backend: "memory", decisions, ...mem, ratio: 1, ratioP50: 1 },
      { backend: "redis", decisions, ...red, ratio: red.meanUs / mem.meanUs, ratioP50: red.p50Us / mem.p50Us },
      { backend: "redis (16 in flight)", decisions, ...par, ratio: par.meanUs / mem.meanUs, ratioP50: par.p50Us / mem.p50Us },
    ];
  } finally {
    redis.close();
    await deleteKeys(connection, keyPrefix);
    await connection.close();
  }
}

async function measure(budgets: RateBudgets, n: number): Promise<{ meanUs: number; p50Us: number; p99Us: number }> {
  for (let i = 0; i < n / 10; i++) await budgets.acquire(`loc-${i % 10}`, "group", { method: "GET" });
  const samples = new Float64Array(n);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await budgets.acquire(`loc-${i % 10}`, "group", { method: "GET" });
    samples[i] = Number(process.hrtime.bigint() - s) / 1_000;
  }
  const meanUs = Number(process.hrtime.bigint() - t0) / 1_000 / n;
  samples.sort();
  return { meanUs, p50Us: samples[Math.floor(n * 0.5)]!, p99Us: samples[Math.floor(n * 0.99)]! };
}

/** `inFlight` callers at once: throughput per decision when the round trips overlap. */
async function measureConcurrent(budgets: RateBudgets, n: number, inFlight: number): Promise<{ meanUs: number; p50Us: number; p99Us: number }> {
  const samples: number[] = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const s = process.hrtime.bigint();
        await budgets.acquire(`loc-${i % 10}`, "group", { method: "GET" });
        samples.push(Number(process.hrtime.bigint() - s) / 1_000);
      }
    }),
  );
  const meanUs = Number(process.hrtime.bigint() - t0) / 1_000 / n;
  samples.sort((a, b) => a - b);
  return { meanUs, p50Us: samples[Math.floor(n * 0.5)]!, p99Us: samples[Math.floor(n * 0.99)]! };
}

async function deleteKeys(connection: RedisConnection, prefix: string): Promise<void> {
  await connection
    .run(async (c) => {
      let cursor = "0";
      do {
        const [nextCursor, keys] = await c.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        cursor = nextCursor;
        if (keys.length > 0) await c.del(...keys);
      } while (cursor !== "0");
    })
    .catch(() => undefined); // they expire by themselves within a minute
}

/** The rows as a small table for a terminal. */
export function formatBudgetBench(rows: BudgetBenchRow[]): string {
  const head = "backend                decisions   mean µs    p50 µs    p99 µs  × mem (mean)  × mem (p50)";
  const body = rows.map(
    (r) =>
      `${r.backend.padEnd(22)} ${String(r.decisions).padStart(9)} ${r.meanUs.toFixed(2).padStart(9)} ${r.p50Us.toFixed(2).padStart(9)} ${r.p99Us.toFixed(2).padStart(9)} ${r.ratio.toFixed(1).padStart(13)} ${r.ratioP50.toFixed(0).padStart(12)}`,
  );
  return [head, ...body].join("\n");
}
