/**
 * `npm run bench`: the same Podium request sent (a) straight to the sandbox with undici, (b) through
 * the router over gRPC and Connect, and (c) to an echo server on the same server stack (the ceiling).
 * Sandbox, router and load generator each run in their own process, so the router's CPU time per
 * call is read from its own process.cpuUsage().
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSettings } from "@podium-router/core";
import { forkBenchChild, type BenchChild } from "./bench-child.js";
import { summarizeCpuProfile, type CpuProfile, type ProfileSummary } from "./bench-cpu-profile.js";
import { cpuMsPerCall, type CpuSample } from "./bench-stats.js";
import type { LoadResult } from "./routing-load.js";
import { BENCH_GRANT_ID, BENCH_LOCATION } from "./routing-router.js";
import type { PodiumRequestSpec, TargetSpec } from "./routing-targets.js";

/** Which side answered: the sandbox directly, the router (then the sandbox), or the echo server. */
export type BenchPath = "direct" | "routed" | "echo";

/** One measured scenario at one concurrency. */
export interface BenchRow {
  path: BenchPath;
  /** e.g. "gRPC (h2c)", "Connect (HTTP/1.1)", "HTTP/1.1 (undici)". */
  protocol: string;
  result: LoadResult;
  /** CPU ms per answered call of the router process (the echo server lives in it too); 0 for direct. */
  routerCpuMs: number;
  sandboxCpuMs: number;
  loadCpuMs: number;
}

/** Everything one run measured. */
export interface RoutingBenchResult {
  request: PodiumRequestSpec;
  /** The upstream request as the sandbox recorded it for a direct and a routed call. */
  upstreamSeen: { direct: UpstreamSeen | null; routed: UpstreamSeen | null };
  moderate: number;
  high: number;
  warmupMs: number;
  measureMs: number;
  rows: BenchRow[];
  /** Present when profiled: the router process during routed gRPC at `high` concurrency. */
  profile?: ProfileSummary | undefined;
  nodeVersion: string;
  cpus: number;
}

/** What the sandbox's ledger says about the last request. */
export interface UpstreamSeen {
  method: string;
  path: string;
  route: string;
  status: number;
  podiumVersion: string;
  hasRequestId: boolean;
}

/** Options of {@link runRoutingBench}. */
export interface RoutingBenchOptions {
  /** Concurrency of the latency runs. @default 8 */
  moderate?: number;
  /** Concurrency of the throughput runs. @default 64 */
  high?: number;
  /** Unmeasured calls before each measured run. @default 1000 */
  warmupMs?: number;
  /** Length of each measured run. @default 4000 */
  measureMs?: number;
  /** Profile the router: "always", "never", or when `missedGoals` says a goal was missed. @default "on-miss" */
  profile?: "always" | "never" | "on-miss";
  /** Decides "on-miss" profiling from the rows; see routing-report.ts. */
  missedGoals?: (rows: BenchRow[]) => string[];
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
}

interface Scenario {
  path: BenchPath;
  protocol: string;
  spec: (env: Endpoints) => TargetSpec;
}

interface Endpoints {
  sandboxUrl: string;
  routedUrl: string;
  echoUrl: string;
  accessToken: string;
  apiKey: string;
}

const request: PodiumRequestSpec = { locationUid: BENCH_LOCATION, method: "GET", path: "/v4/reviews" };
const child = (name: string): URL => new URL(`./${name}.js`, import.meta.url);

/** The scenarios in table order. The routed gRPC client is @grpc/grpc-js (lighter than connect's gRPC transport). */
const scenarios: Scenario[] = [
  { path: "direct", protocol: "HTTP/1.1 (undici)", spec: (e) => ({ kind: "direct", baseUrl: e.sandboxUrl, accessToken: e.accessToken, podiumVersion: defaultSettings.upstream.podiumVersion, connections: defaultSettings.upstream.connections, request }) },
  ...(["routed", "echo"] as const).flatMap((path): Scenario[] => {
    const url = (e: Endpoints): string => (path === "routed" ? e.routedUrl : e.echoUrl);
    return [
      { path, protocol: "gRPC (h2c)", spec: (e) => ({ kind: "grpc-js", baseUrl: url(e), apiKey: e.apiKey, request }) },
      { path, protocol: "Connect (HTTP/1.1)", spec: (e) => ({ kind: "connect", httpVersion: "1.1", baseUrl: url(e), apiKey: e.apiKey, request }) },
      { path, protocol: "Connect (h2c)", spec: (e) => ({ kind: "connect", httpVersion: "2", baseUrl: url(e), apiKey: e.apiKey, request }) },
    ];
  }),
];

/** Runs the whole benchmark; every child is closed whatever happens. */
export async function runRoutingBench(options: RoutingBenchOptions = {}): Promise<RoutingBenchResult> {
  const moderate = options.moderate ?? 8;
  const high = options.high ?? 64;
  const warmupMs = options.warmupMs ?? 1_000;
  const measureMs = options.measureMs ?? 4_000;
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = await mkdtemp(join(tmpdir(), "podium-router-bench-"));
  const children: BenchChild[] = [];
  try {
    const sandbox = await forkBenchChild(child("routing-sandbox-child"));
    children.push(sandbox);
    const sandboxUrl = await sandbox.request<string>("url");
    const apiKey = `prk_bench_${randomBytes(16).toString("hex")}`;
    const routerChild = await startRouterChild(sandboxUrl, apiKey, join(stateDir, "router"));
    children.push(routerChild.child);
    const load = await forkBenchChild(child("routing-load-child"));
    children.push(load);
    const endpoints: Endpoints = { sandboxUrl, ...routerChild.urls, accessToken: await sandbox.request<string>("token", BENCH_GRANT_ID), apiKey };
    const upstreamSeen: RoutingBenchResult["upstreamSeen"] = { direct: null, routed: null };

    const rows: BenchRow[] = [];
    for (const scenario of scenarios) {
      await load.request("prepare", scenario.spec(endpoints));
      if (scenario.path !== "echo") upstreamSeen[scenario.path] ??= await sandbox.request<UpstreamSeen | null>("lastRequest");
      for (const concurrency of [moderate, high]) {
        progress(`bench: ${scenario.path} ${scenario.protocol}, ${concurrency} in flight`);
        await load.request("run", { concurrency, durationMs: warmupMs });
        const before = await cpuOf([routerChild.child, sandbox, load]);
        const result = await load.request<LoadResult>("run", { concurrency, durationMs: measureMs });
        const after = await cpuOf([routerChild.child, sandbox, load]);
        const per = (i: number): number => cpuMsPerCall(before[i]!, after[i]!, result.count);
        rows.push({ path: scenario.path, protocol: scenario.protocol, result, routerCpuMs: scenario.path === "direct" ? 0 : per(0), sandboxCpuMs: per(1), loadCpuMs: per(2) });
      }
    }

    const missed = options.missedGoals?.(rows) ?? [];
    const wantProfile = options.profile === "always" || ((options.profile ?? "on-miss") === "on-miss" && missed.length > 0);
    let profile: ProfileSummary | undefined;
    if (wantProfile) {
      progress("bench: profiling the router during routed gRPC");
      profile = await profileRouter(sandboxUrl, apiKey, join(stateDir, "profiled"), load, high, warmupMs, measureMs);
    }
    return { request, upstreamSeen, moderate, high, warmupMs, measureMs, rows, profile, nodeVersion: process.version, cpus: availableParallelism() };
  } finally {
    await Promise.all(children.map((c) => c.close()));
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function startRouterChild(sandboxUrl: string, apiKey: string, stateDir: string, execArgv: string[] = []): Promise<{ child: BenchChild; urls: { routedUrl: string; echoUrl: string } }> {
  const routerChild = await forkBenchChild(child("routing-router-child"), { execArgv });
  try {
    const urls = await routerChild.request<{ routedUrl: string; echoUrl: string }>("start", { sandboxUrl, apiKey, stateDir, echoPath: request.path });
    return { child: routerChild, urls };
  } catch (err) {
    await routerChild.close();
    throw err;
  }
}

function cpuOf(children: BenchChild[]): Promise<CpuSample[]> {
  return Promise.all(children.map((c) => c.request<CpuSample>("cpu")));
}

/** A second router process under `--cpu-prof`, loaded like the throughput run; its profile is written when it exits. */
async function profileRouter(sandboxUrl: string, apiKey: string, stateDir: string, load: BenchChild, concurrency: number, warmupMs: number, measureMs: number): Promise<ProfileSummary> {
  const profileDir = join(stateDir, "cpu-profile");
  const { child: profiled, urls } = await startRouterChild(sandboxUrl, apiKey, stateDir, ["--cpu-prof", "--cpu-prof-dir", profileDir]);
  try {
    await load.request("prepare", { kind: "grpc-js", baseUrl: urls.routedUrl, apiKey, request } satisfies TargetSpec);
    await load.request("run", { concurrency, durationMs: warmupMs });
    await load.request("run", { concurrency, durationMs: measureMs });
    await load.request("dispose");
  } finally {
    await profiled.close();
  }
  const file = (await readdir(profileDir)).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new Error(`the profiled router wrote no .cpuprofile into ${profileDir}`);
  return summarizeCpuProfile(JSON.parse(await readFile(join(profileDir, file), "utf8")) as CpuProfile);
}
