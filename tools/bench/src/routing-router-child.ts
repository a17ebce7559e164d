/** Child process: the router (and the echo server) for `npm run bench`, alone in its process so its CPU time is its own. */
import { serveBenchParent } from "./bench-child.js";
import { startBenchRouter, type BenchRouter, type BenchRouterOptions } from "./routing-router.js";

let running: BenchRouter | undefined;

serveBenchParent({
  start: async (opts: BenchRouterOptions) => {
    running = await startBenchRouter(opts);
    return { routedUrl: running.routedUrl, echoUrl: running.echoUrl };
  },
  cpu: () => process.cpuUsage(),
  close: () => running?.close(),
});
