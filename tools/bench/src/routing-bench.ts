/**
 * `npm run bench`: the same Podium request sent (a) straight to the sandbox with undici, (b) through
 * the router over gRPC and Connect, and (c) to an echo server on the same server stack (the ceiling).
 * Sandbox, router and load generator each run in their own process, so the router's CPU time per
 * call is read from its own process.cpuUsage().
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSettings } from "@podium-router/core";
import { forkBenchChild, type BenchChild } from "./bench-child.js";
import type { ProfileSummary } from "./bench-cpu-profile.js";
import type { LoadResult } from "./routing-load.js";
import { missedGoals } from "./routing-report.js";
import { measureRows, type Scenario } from "./routing-measure.js";
import { BENCH_GRANT_ID, BENCH_LOCATION, CORE_CALLS, type BenchRouterOptions, type CoreCall } from "./routing-router.js";
import type { PodiumRequestSpec, TargetSpec } from "./routing-targets.js";

/**
 * Which side answered: the sandbox directly; the router (then the sandbox); the echo server; or the
 * core alone, called inside the router process (no server, no client: what routing itself costs).
 */
export type BenchPath = "direct" | "routed" | "echo" | "core";

/** One measured scenario at one concurrency (1, `moderate` or `high`). */
export interface BenchRow {
  path: BenchPath;
  /** e.g. "gRPC (h2c)", "Connect (HTTP/1.1)", "HTTP/1.1 (undici)". */
  protocol: string;
  result: LoadResult;
  /** CPU ms per answered call of the router process (the echo server lives in it too); 0 for direct. */
  routerCpuMs: number;
  sandboxCpuMs: number;
  loadCpuMs: number;
  /** CPUs kept busy by other processes on the machine during the row's slices: noise. */
  otherCpus: number;
  /** Podium requests per answered call (the sandbox's count around the row's slices; 0 for echo). */
  upstreamPerCall?: number | undefined;
  /** Owner lookups the router sent per answered call (`onOwnerLookup`). */
  ownerLookupsPerCall?: number | undefined;
  /** The ownership rows (issue 10): which call the core made. */
  label?: string | undefined;
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
  rounds: number;
  rows: BenchRow[];
  /** Present when profiled: the router process during routed gRPC at `high` concurrency. */
  profile?: ProfileSummary | undefined;
  /** Where the profile was saved. */
  profileFile?: string | undefined;
  /** The goals missed (see routing-report.ts); empty when all were met. */
  missed: string[];
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
  /** Unmeasured calls per scenario before the measured slices of each concurrency. @default 500 */
  warmupMs?: number;
  /** Measured time per row, split into `rounds` slices. @default 4000 */
  measureMs?: number;
  /** Slices per row; the scenarios take turns slice by slice. @default 4 */
  rounds?: number;
  /** Profile the router: "always", "never", or when a goal was missed. @default "on-miss" */
  profile?: "always" | "never" | "on-miss";
  /** Progress lines (stderr by default). */
  progress?: (line: string) => void;
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
interface ScenarioSpec extends Omit<Scenario, "id"> {
  /** What the load child builds; the core scenario needs none. */
  spec?: (e: Endpoints) => TargetSpec;
  /** The core scenarios: which call the core makes (default: the bench's request). */
  core?: CoreCall;
}

const scenarios: ScenarioSpec[] = [
  { path: "direct", protocol: "HTTP/1.1 (undici)", driver: "load", spec: (e) => ({ kind: "direct", baseUrl: e.sandboxUrl, accessToken: e.accessToken, podiumVersion: defaultSettings.upstream.podiumVersion, connections: defaultSettings.upstream.connections, request }) },
  ...(["routed", "echo"] as const).flatMap((path): ScenarioSpec[] => {
    const url = (e: Endpoints): string => (path === "routed" ? e.routedUrl : e.echoUrl);
    return [
      { path, protocol: "gRPC (h2c)", driver: "load", spec: (e) => ({ kind: "grpc-js", baseUrl: url(e), apiKey: e.apiKey, request }) },
      { path, protocol: "Connect (HTTP/1.1)", driver: "load", spec: (e) => ({ kind: "connect", httpVersion: "1.1", baseUrl: url(e), apiKey: e.apiKey, request }) },
      { path, protocol: "Connect (h2c)", driver: "load", spec: (e) => ({ kind: "connect", httpVersion: "2", baseUrl: url(e), apiKey: e.apiKey, request }) },
    ];
  }),
  { path: "core", protocol: "in-process", driver: "router" },
  // Issue 10's ownership rows: a location-named call, and a call on an owned resource with the ownership cache warm
  // and cold, all through the core alone (router CPU per call without server or client).
  ...(
    [
      ["location", "location-named"],
      ["owned-warm", "owned, cache warm"],
      ["owned-cold", "owned, cache cold"],
    ] as const
  ).map(([core, what]): ScenarioSpec => ({ path: "core", protocol: "in-process", driver: "router", core, label: `${what}: \`${CORE_CALLS[core].method} ${CORE_CALLS[core].path}\`` })),
];

/** Runs the whole benchmark; every child is closed whatever happens. */
export async function runRoutingBench(options: RoutingBenchOptions = {}): Promise<RoutingBenchResult> {
  const moderate = options.moderate ?? 8;
  const high = options.high ?? 64;
  // One call at a time first: the hop's own latency, before any queueing for the CPUs.
  const levels = [...new Set([1, moderate, high])];
  const warmupMs = options.warmupMs ?? 500;
  const measureMs = options.measureMs ?? 4_000;
  const rounds = Math.max(1, options.rounds ?? 4);
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = await mkdtemp(join(tmpdir(), "podium-router-bench-"));
  const children: BenchChild[] = [];
  try {
    const { sandbox, sandboxUrl, apiKey, router: routerChild } = await startSandboxAndRouter(children, join(stateDir, "router"));
    const load = await forkBenchChild(child("routing-load-child"));
    children.push(load);
    const endpoints: Endpoints = { sandboxUrl, ...routerChild.urls, accessToken: await sandbox.request<string>("token", BENCH_GRANT_ID), apiKey };
    const upstreamSeen: RoutingBenchResult["upstreamSeen"] = { direct: null, routed: null };
    const ids = scenarios.map((s, i) => `${i}:${s.path}:${s.protocol}`);
    for (const [i, scenario] of scenarios.entries()) {
      if (scenario.spec === undefined) await routerChild.child.request("prepare", { id: ids[i], core: scenario.core });
      else await load.request("prepare", { id: ids[i], spec: scenario.spec(endpoints) });
      if (scenario.path === "direct" || scenario.path === "routed") upstreamSeen[scenario.path] ??= await sandbox.request<UpstreamSeen | null>("lastRequest");
    }

    const rows = await measureRows({ router: routerChild.child, sandbox, load }, scenarios.map((s, i) => ({ ...s, id: ids[i]! })), { levels, warmupMs, measureMs, rounds, progress });

    const missed = missedGoals(rows, moderate, high);
    const wantProfile = options.profile === "always" || ((options.profile ?? "on-miss") === "on-miss" && missed.length > 0);
    let profile: ProfileSummary | undefined;
    let profileFile: string | undefined;
    if (wantProfile) {
      progress("bench: profiling the router during routed gRPC");
      profileFile = join(tmpdir(), `podium-router-bench-${Date.now()}.cpuprofile`);
      profile = await profileRouter(routerChild.child, load, ids[scenarios.findIndex((s) => s.path === "routed")]!, high, warmupMs, measureMs, profileFile);
    }
    return { request, upstreamSeen, moderate, high, warmupMs, measureMs, rounds, rows, profile, profileFile, missed, nodeVersion: process.version, cpus: availableParallelism() };
  } finally {
    // Load generator first, sandbox last: a client whose server went away first only adds noise.
    for (const c of children.reverse()) await c.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The sandbox and the router children (added to `children`, for the caller to close), with a fresh API key. */
export async function startSandboxAndRouter(
  children: BenchChild[],
  stateDir: string,
  extra: Pick<BenchRouterOptions, "budgets" | "neighbour"> = {},
): Promise<{ sandbox: BenchChild; sandboxUrl: string; apiKey: string; router: { child: BenchChild; urls: { routedUrl: string; echoUrl: string } } }> {
  const sandbox = await forkBenchChild(child("routing-sandbox-child"));
  children.push(sandbox);
  const sandboxUrl = await sandbox.request<string>("url");
  const apiKey = `prk_bench_${randomBytes(16).toString("hex")}`;
  const routerChild = await forkBenchChild(child("routing-router-child"));
  children.push(routerChild);
  const options: BenchRouterOptions = { sandboxUrl, apiKey, stateDir, echoPath: request.path, ...extra };
  const urls = await routerChild.request<{ routedUrl: string; echoUrl: string }>("start", options);
  return { sandbox, sandboxUrl, apiKey, router: { child: routerChild, urls } };
}

/**
 * Profiles the router process (V8's sampling profiler, as `--cpu-prof`) during one more routed gRPC
 * run after a warm-up, and keeps the `.cpuprofile` (open it in Chrome DevTools) at `file`.
 */
async function profileRouter(router: BenchChild, load: BenchChild, id: string, concurrency: number, warmupMs: number, measureMs: number, file: string): Promise<ProfileSummary> {
  await load.request("run", { id, concurrency, durationMs: warmupMs, record: false });
  await router.request("profileStart");
  await load.request("run", { id, concurrency, durationMs: measureMs, record: false });
  return router.request<ProfileSummary>("profileStop", { file });
}
