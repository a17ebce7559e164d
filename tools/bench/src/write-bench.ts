/**
 * The write rows of `npm run bench`: what the audit contract costs a routed write. The same `POST /v4/contacts`
 * for Sydney through three routers that differ only in `audit.fsync` (never, interval, always: under always
 * every write waits for its intent line before it is sent and for its outcome line before it is answered), over
 * gRPC, at 1 call in flight (p50) and at `high` (throughput); reported as ratios against `never`. Same structure
 * as the routing rows: sandbox, routers and load generator in their own processes, the scenarios taking turns
 * slice by slice. The audit logs live on the state directory's disk (not a tmpfs), so syncs cost what they cost.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { forkBenchChild, type BenchChild } from "./bench-child.js";
import type { BenchRow } from "./routing-bench.js";
import { measureRows } from "./routing-measure.js";
import { BENCH_LOCATION } from "./routing-router.js";
import type { PodiumRequestSpec } from "./routing-targets.js";

/** The audit.fsync policies compared; `never` first, the unit of the ratios. */
export const WRITE_BENCH_POLICIES = ["never", "interval", "always"] as const;
export type WriteBenchPolicy = (typeof WRITE_BENCH_POLICIES)[number];

/** One policy's two rows. */
export interface WriteBenchRow {
  fsync: WriteBenchPolicy;
  /** At 1 call in flight. */
  single: BenchRow;
  /** At `high` calls in flight. */
  loaded: BenchRow;
}

export interface WriteBenchResult {
  request: PodiumRequestSpec;
  high: number;
  warmupMs: number;
  measureMs: number;
  rounds: number;
  rows: WriteBenchRow[];
  nodeVersion: string;
  cpus: number;
}

export interface WriteBenchOptions {
  /** Concurrency of the throughput rows. @default 64 */
  high?: number;
  /** @default 500 */
  warmupMs?: number;
  /** Measured time per row. @default 4000 */
  measureMs?: number;
  /** @default 4 */
  rounds?: number;
  progress?: (line: string) => void;
}

const request: PodiumRequestSpec = {
  locationUid: BENCH_LOCATION,
  method: "POST",
  path: "/v4/contacts",
  body: JSON.stringify({ name: "Bench Writer", phoneNumber: "+61400000777", locations: [BENCH_LOCATION] }),
};
const child = (name: string): URL => new URL(`./${name}.js`, import.meta.url);

/** Runs the write rows; every child is closed whatever happens. */
export async function runWriteBench(options: WriteBenchOptions = {}): Promise<WriteBenchResult> {
  const high = options.high ?? 64;
  const warmupMs = options.warmupMs ?? 500;
  const measureMs = options.measureMs ?? 4_000;
  const rounds = Math.max(1, options.rounds ?? 4);
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = await mkdtemp(join(tmpdir(), "podium-router-write-bench-"));
  const children: BenchChild[] = [];
  try {
    const sandbox = await forkBenchChild(child("routing-sandbox-child"));
    children.push(sandbox);
    const sandboxUrl = await sandbox.request<string>("url");
    const apiKey = `prk_bench_${randomBytes(16).toString("hex")}`;
    const routers: { fsync: WriteBenchPolicy; child: BenchChild; url: string }[] = [];
    for (const fsync of WRITE_BENCH_POLICIES) {
      const router = await forkBenchChild(child("routing-router-child"));
      children.push(router);
      const { routedUrl } = await router.request<{ routedUrl: string }>("start", { sandboxUrl, apiKey, stateDir: join(stateDir, fsync), echoPath: "/v4/reviews", fsync });
      routers.push({ fsync, child: router, url: routedUrl });
    }
    const load = await forkBenchChild(child("routing-load-child"));
    children.push(load);
    const scenarios = routers.map((r) => ({ id: `write:${r.fsync}`, path: "routed" as const, protocol: `gRPC write, fsync ${r.fsync}`, driver: "load" as const }));
    for (const [i, r] of routers.entries()) await load.request("prepare", { id: scenarios[i]!.id, spec: { kind: "grpc-js", baseUrl: r.url, apiKey, request } });
    // Router CPU is not reported here (three router processes); measureRows reads the first one's.
    const measured = await measureRows({ router: routers[0]!.child, sandbox, load }, scenarios, { levels: [1, high], warmupMs, measureMs, rounds, progress });
    const rows = WRITE_BENCH_POLICIES.map((fsync) => {
      const protocol = `gRPC write, fsync ${fsync}`;
      const at = (c: number): BenchRow => measured.find((r) => r.protocol === protocol && r.result.concurrency === c)!;
      return { fsync, single: at(1), loaded: at(high) };
    });
    return { request, high, warmupMs, measureMs, rounds, rows, nodeVersion: process.version, cpus: availableParallelism() };
  } finally {
    for (const c of children.reverse()) await c.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The write rows as markdown: p50 at 1 in flight and calls/s at `high`, each also as a ratio against `never`. */
export function formatWriteBench(r: WriteBenchResult): string {
  const base = r.rows.find((row) => row.fsync === "never")!;
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  const header = ["audit.fsync", "p50 ms (1 in flight)", "p50 vs never", `calls/s (${r.high} in flight)`, "throughput vs never", `p50 ms (${r.high} in flight)`, "errors"];
  const ratio = (v: number, unit: number): string => (unit > 0 ? `${(v / unit).toFixed(2)}×` : "–");
  const body = r.rows.map((row) =>
    line([
      `\`${row.fsync}\``,
      row.single.result.p50Ms.toFixed(2),
      ratio(row.single.result.p50Ms, base.single.result.p50Ms),
      Math.round(row.loaded.result.callsPerSecond).toLocaleString("en-US"),
      ratio(row.loaded.result.callsPerSecond, base.loaded.result.callsPerSecond),
      row.loaded.result.p50Ms.toFixed(2),
      String(row.single.result.errors + row.loaded.result.errors),
    ]),
  );
  const all = r.rows.flatMap((row) => [row.single, row.loaded]);
  const others = all.reduce((t, row) => t + row.otherCpus, 0) / Math.max(1, all.length);
  return [
    `## Routed writes under each audit.fsync policy: \`${r.request.method} ${r.request.path}\` over gRPC`,
    "",
    `Node ${r.nodeVersion}, ${r.cpus} CPUs. Three routers, identical but for audit.fsync, one sandbox, one load generator; ${r.warmupMs / 1_000} s warm-up, then ${r.measureMs / 1_000} s per row in ${r.rounds} slices, the policies taking turns. Under \`always\` a write waits for its intent line (synced) before it is sent and for its outcome line (synced) before it is answered; concurrent writes share syncs. ` +
      `Other processes kept ${others.toFixed(2)} of the ${r.cpus} CPUs busy on average during the measured slices${others > 0.25 ? ": read the ratios, not the capacity" : ""}.`,
    "",
    line(header),
    line(header.map(() => "---")),
    ...body,
  ].join("\n");
}
