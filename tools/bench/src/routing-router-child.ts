/** Child process: the router (and the echo server) for `npm run bench`, alone in its process so its CPU time is its own. */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { serveBenchParent } from "./bench-child.js";
import { summarizeCpuProfile, type CpuProfile } from "./bench-cpu-profile.js";
import { startBenchRouter, type BenchRouter, type BenchRouterOptions } from "./routing-router.js";

let running: BenchRouter | undefined;
let profiler: Session | undefined;

serveBenchParent({
  start: async (opts: BenchRouterOptions) => {
    running = await startBenchRouter(opts);
    return { routedUrl: running.routedUrl, echoUrl: running.echoUrl };
  },
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
