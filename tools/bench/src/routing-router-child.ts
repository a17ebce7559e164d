/** Child process: the router (and the echo server) for `npm run bench`, alone in its process so its CPU time is its own. */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { serveBenchParent } from "./bench-child.js";
import { summarizeCpuProfile, type CpuProfile } from "./bench-cpu-profile.js";
import { createLoadRunner, type RunArg } from "./routing-load.js";
import { startBenchRouter, type BenchRouter, type BenchRouterOptions, type CoreCall } from "./routing-router.js";

let running: BenchRouter | undefined;
let profiler: Session | undefined;
// The "core" scenario: calls driven from inside this process, so the core's CPU per call is measured
// without any server or client.
const runner = createLoadRunner();
/** Which core call each prepared core scenario makes. */
const coreCalls = new Map<string, CoreCall>();
const started = (): BenchRouter => {
  if (running === undefined) throw new Error("start the router first");
  return running;
};

serveBenchParent({
  start: async (opts: BenchRouterOptions) => {
    running = await startBenchRouter(opts);
    return { routedUrl: running.routedUrl, echoUrl: running.echoUrl };
  },
  prepare: ({ id, core }: { id: string; core?: CoreCall }) => {
    coreCalls.set(id, core ?? "list");
    return started().callCore(core);
  },
  run: ({ id, concurrency, durationMs, record }: RunArg) => {
    const kind = coreCalls.get(id);
    return runner.run(id, () => started().callCore(kind), concurrency, durationMs, record);
  },
  lookups: () => running?.ownerLookups() ?? 0,
  result: ({ id, concurrency }: { id: string; concurrency: number }) => runner.result(id, concurrency),
  cpu: () => process.cpuUsage(),
  // The V8 profiler through the inspector (what --cpu-prof uses), started after warm-up so start-up
  // and module loading stay out of the figures.
  profileStart: async () => {
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
  },
  profileStop: async ({ file }: { file: string }) => {
    if (profiler === undefined) throw new Error("profileStop before profileStart");
    const { profile } = await profiler.post("Profiler.stop");
    profiler.disconnect();
    profiler = undefined;
    await writeFile(file, JSON.stringify(profile));
    return summarizeCpuProfile(profile as CpuProfile);
  },
  close: () => running?.close(),
});
