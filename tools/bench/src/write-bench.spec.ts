import { describe, expect, it } from "vitest";
import type { BenchRow } from "./routing-bench.js";
import { formatWriteBench, WRITE_BENCH_POLICIES, type WriteBenchResult } from "./write-bench.js";

const row = (concurrency: number, p50Ms: number, callsPerSecond: number): BenchRow => ({
  path: "routed",
  protocol: "gRPC write",
  result: { concurrency, p50Ms, p99Ms: p50Ms * 2, callsPerSecond, count: 100, errors: 0, elapsedMs: 1000 } as BenchRow["result"],
  routerCpuMs: 0,
  sandboxCpuMs: 0,
  loadCpuMs: 0,
  otherCpus: 0.1,
});

describe("formatWriteBench()", () => {
  it("reports each policy's p50 and throughput as ratios against never", () => {
    const result: WriteBenchResult = {
      request: { locationUid: "loc", method: "POST", path: "/v4/contacts" },
      high: 64,
      warmupMs: 500,
      measureMs: 4000,
      rounds: 4,
      rows: WRITE_BENCH_POLICIES.map((fsync, i) => ({ fsync, single: row(1, 2 * (1 + i), 0), loaded: row(64, 0, 400 / (1 + i)) })),
      nodeVersion: "v20",
      cpus: 2,
    };
    const text = formatWriteBench(result);
    expect(text).toMatch(/\| `never` \| 2\.00 \| 1\.00× \| 400 \| 1\.00× \|/);
    expect(text).toMatch(/\| `interval` \| 4\.00 \| 2\.00× \| 200 \| 0\.50× \|/);
    expect(text).toMatch(/\| `always` \| 6\.00 \| 3\.00× \| 133 \| 0\.33× \|/);
  });
});
