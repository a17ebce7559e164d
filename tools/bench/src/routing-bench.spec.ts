import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSettings } from "@podium-router/core";
import { createSandbox, type Sandbox } from "@podium-router/podium-sandbox";
import { summarizeCpuProfile } from "./bench-cpu-profile.js";
import { createLatencyRecorder, percentile } from "./bench-stats.js";
import type { BenchRow } from "./routing-bench.js";
import { combineSlices, createLoadRunner, runClosedLoop, runOpenLoop } from "./routing-load.js";
import { checkGoals } from "./routing-report.js";
import { BENCH_GRANT_ID, BENCH_LOCATION, startBenchRouter, type BenchRouter } from "./routing-router.js";
import { createTarget, type PodiumRequestSpec, type TargetSpec } from "./routing-targets.js";

const request: PodiumRequestSpec = { locationUid: BENCH_LOCATION, method: "GET", path: "/v4/reviews" };

describe("percentile()", () => {
  it("takes the nearest rank of sorted samples", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 0.5), percentile(sorted, 0.99), percentile(sorted, 1), percentile([], 0.5)]).toEqual([50, 99, 100, 0]);
  });

  it("summarizes what a recorder collected past its first capacity", () => {
    const rec = createLatencyRecorder(2);
    for (const v of [5, 1, 4, 2, 3]) rec.add(v);
    expect(rec.summary()).toEqual({ count: 5, p50Ms: 3, p99Ms: 5, meanMs: 3 });
  });
});

describe("runOpenLoop()", () => {
  it("starts calls on its schedule whether or not earlier ones answered, and counts each outcome", async () => {
    let started = 0;
    const neverFast = (): Promise<void> => {
      started++;
      // Every third call fails; none answers before the next is due.
      const n = started;
      return new Promise((resolve, reject) => setTimeout(() => (n % 3 === 0 ? reject(new Error("refused")) : resolve()), 30));
    };
    const rec = createLatencyRecorder();
    const slice = await runOpenLoop(neverFast, 100, 100, rec);
    // One call every 10 ms for 100 ms: ten, however slowly they answer.
    expect(started).toBe(10);
    expect([slice.count, slice.errors, slice.firstError]).toEqual([7, 3, "refused"]);
    expect(rec.summary().p50Ms).toBeGreaterThanOrEqual(29);
  });
});

describe("summarizeCpuProfile()", () => {
  it("ranks functions by self time, groups them by package and leaves idle out", () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const summary = summarizeCpuProfile({
      nodes: [
        { id: 1, callFrame: frame("(root)", "") },
        { id: 2, callFrame: frame("(idle)", "") },
        { id: 3, callFrame: frame("request", "file:///w/node_modules/undici/lib/api/api-request.js") },
        { id: 4, callFrame: frame("guardRequest", "file:///w/packages/core/dist/location-guard.js") },
      ],
      // Each delta is the time the previous sample's frame was on top.
      samples: [3, 4, 3, 2, 3],
      timeDeltas: [0, 1_000, 3_000, 1_000, 50_000, 0],
    });
    expect(summary.busyMs).toBe(5);
    expect(summary.topFunctions.map((f) => [f.name, f.where, f.selfMs])).toEqual([
      ["guardRequest", "packages/core/dist/location-guard.js:10", 3],
      ["request", "undici/lib/api/api-request.js:10", 2],
    ]);
    expect(summary.byPackage.map((p) => [p.name, p.percent])).toEqual([
      ["@podium-router/core", 60],
      ["undici", 40],
    ]);
  });
});

describe("checkGoals()", () => {
  const row = (path: BenchRow["path"], protocol: string, concurrency: number, callsPerSecond: number, p50Ms: number, routerCpuMs = 0): BenchRow => ({
    path,
    protocol,
    routerCpuMs,
    sandboxCpuMs: 0,
    loadCpuMs: 0,
    otherCpus: 0,
    result: { concurrency, callsPerSecond, p50Ms, p99Ms: p50Ms, meanMs: p50Ms, count: 1, elapsedMs: 1, errors: 0 },
  });

  it("names each missed goal of each routed protocol", () => {
    const rows = [
      row("direct", "h1", 8, 5_000, 1.0),
      row("direct", "h1", 64, 6_000, 9),
      row("routed", "gRPC", 8, 3_000, 1.4, 0.15),
      row("routed", "gRPC", 64, 2_000, 20, 0.25),
      row("echo", "gRPC", 64, 10_000, 5),
    ];
    expect(checkGoals(rows, 8, 64).map((c) => [c.goal.split(" ")[0], c.met])).toEqual([
      ["p50", true],
      ["router", false],
      ["throughput", false],
      ["throughput", false],
    ]);
  });
});

describe("runClosedLoop()", () => {
  it("counts answered and failed calls from every loop, and slices add up in combineSlices()", async () => {
    let n = 0;
    // Every third call fails: each slice's three loops start one call each at once, however slow the machine
    // (a loaded one may run no more than those in 30 ms), and three calls in a row always hold one failure.
    const call = async () => {
      if (++n % 3 === 0) throw new Error("every third call fails");
      await new Promise((r) => setImmediate(r));
    };
    const latencies = createLatencyRecorder();
    const slices = [await runClosedLoop(call, 3, 30, latencies), await runClosedLoop(call, 3, 30, latencies)];
    for (const s of slices) expect(s.firstError).toBe("every third call fails");
    const result = combineSlices(3, latencies, slices);
    expect(result.count + result.errors).toBe(n);
    expect(result.errors).toBe(Math.floor(n / 3));
    expect(result.count).toBe(slices[0]!.count + slices[1]!.count);
    expect(result.concurrency).toBe(3);
    expect(result.callsPerSecond).toBeCloseTo(result.count / ((slices[0]!.elapsedMs + slices[1]!.elapsedMs) / 1_000));
  });
});

describe("createLoadRunner()", () => {
  it("adds up the recorded slices per caller and concurrency, and leaves warm-up out", async () => {
    const runner = createLoadRunner();
    let calls = 0;
    const call = async () => void (calls++, await new Promise((r) => setImmediate(r)));
    const warm = await runner.run("a", call, 2, 10, false);
    const slices = [await runner.run("a", call, 2, 10, true), await runner.run("a", call, 2, 10, true)];
    expect(calls).toBe(warm.count + slices[0]!.count + slices[1]!.count);
    expect(runner.result("a", 2).count).toBe(slices[0]!.count + slices[1]!.count);
    expect(() => runner.result("a", 8)).toThrow(/nothing recorded/);
  });
});

describe("createTarget() and startBenchRouter() against the sandbox", () => {
  let sandbox: Sandbox;
  let router: BenchRouter;
  let dir: string;
  const apiKey = "prk_bench_spec_0123456789";

  beforeAll(async () => {
    sandbox = await createSandbox({ rateLimit: false });
    dir = mkdtempSync(join(tmpdir(), "routing-bench-"));
    router = await startBenchRouter({ sandboxUrl: sandbox.url, apiKey, stateDir: dir, echoPath: request.path });
  });

  afterAll(async () => {
    await router?.close();
    await sandbox?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const lastSeq = () => sandbox.ledger().at(-1)?.seq ?? 0;
  const upstream = (seq: number) => sandbox.ledger(seq).filter((e) => e.route !== "/oauth/token" && !e.path.startsWith("/v4/locations"));

  it("sends direct and routed calls as the same upstream request", async () => {
    const direct: TargetSpec = {
      kind: "direct",
      baseUrl: sandbox.url,
      accessToken: sandbox.issueAccessToken(BENCH_GRANT_ID).accessToken,
      podiumVersion: defaultSettings.upstream.podiumVersion,
      connections: 4,
      request,
    };
    const seen = [];
    for (const spec of [
      direct,
      { kind: "grpc-js", baseUrl: router.routedUrl, apiKey, request },
      { kind: "connect-grpc", baseUrl: router.routedUrl, apiKey, request },
      { kind: "connect", httpVersion: "1.1", baseUrl: router.routedUrl, apiKey, request },
      { kind: "connect", httpVersion: "2", baseUrl: router.routedUrl, apiKey, request },
    ] satisfies TargetSpec[]) {
      const seq = lastSeq();
      const target = createTarget(spec);
      await target.call();
      await target.close();
      seen.push(upstream(seq).map((e) => ({ kind: spec.kind, method: e.method, path: e.path, status: e.status, v: e.podiumVersion, id: e.requestId !== undefined, grant: e.grantId })));
    }
    const expected = { method: "GET", path: "/v4/reviews", status: 200, v: defaultSettings.upstream.podiumVersion, id: true, grant: BENCH_GRANT_ID };
    expect(seen).toEqual(["direct", "grpc-js", "connect-grpc", "connect", "connect"].map((kind) => [{ kind, ...expected }]));
  });

  it("answers the echo server's calls without an upstream request", async () => {
    const seq = lastSeq();
    for (const spec of [
      { kind: "grpc-js", baseUrl: router.echoUrl, apiKey, request },
      { kind: "connect", httpVersion: "1.1", baseUrl: router.echoUrl, apiKey, request },
    ] satisfies TargetSpec[]) {
      const target = createTarget(spec);
      const slice = await runClosedLoop(() => target.call(), 2, 50);
      await target.close();
      expect([slice.count > 0, slice.errors, slice.firstError]).toEqual([true, 0, undefined]);
    }
    expect(sandbox.ledger(seq)).toEqual([]);
  });

  it("routes the bench's request through the core alone with callCore()", async () => {
    const seq = lastSeq();
    await router.callCore();
    expect(upstream(seq).map((e) => [e.method, e.path, e.status])).toEqual([["GET", "/v4/reviews", 200]]);
  });

  it("makes the ownership rows' calls: location-named, owned with the cache warm (no lookup) and cold (one lookup each)", async () => {
    const sent = async (kind: Parameters<BenchRouter["callCore"]>[0]) => {
      const [seq, lookups] = [lastSeq(), router.ownerLookups()];
      await router.callCore(kind);
      return { upstream: sandbox.ledger(seq).filter((e) => e.route !== "/oauth/token").map((e) => `${e.method} ${e.route} ${e.status}`), lookups: router.ownerLookups() - lookups };
    };
    expect(await sent("location")).toEqual({ upstream: ["GET /v4/locations/{uid} 200"], lookups: 0 });
    await sent("owned-warm");
    expect(await sent("owned-warm")).toEqual({ upstream: ["GET /v4/reviews/{uid} 200"], lookups: 0 });
    expect(await sent("owned-cold")).toEqual({ upstream: ["GET /v4/reviews/{uid} 200", "GET /v4/reviews/{uid} 200"], lookups: 1 });
    expect(await sent("owned-cold")).toEqual({ upstream: ["GET /v4/reviews/{uid} 200", "GET /v4/reviews/{uid} 200"], lookups: 1 });
  });

  it("fails a routed call that Podium does not answer with 200", async () => {
    // (An unknown contact is now the router's own refusal, ERR_LOC_NOT_OWNED: issue 10; a bad limit is Podium's 400.)
    const target = createTarget({ kind: "grpc-js", baseUrl: router.routedUrl, apiKey, request: { ...request, path: "/v4/reviews?limit=1000" } });
    await expect(target.call()).rejects.toThrow(/Podium answered 400/);
    await target.close();
  });
});
