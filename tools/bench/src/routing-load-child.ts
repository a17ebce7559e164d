/** Child process: the load generator for `npm run bench`, kept out of the router's process. */
import { serveBenchParent } from "./bench-child.js";
import { runClosedLoop } from "./routing-load.js";
import { createTarget, type Target, type TargetSpec } from "./routing-targets.js";

let target: Target | undefined;

serveBenchParent({
  prepare: async (spec: TargetSpec) => {
    await target?.close();
    target = createTarget(spec);
    // One call first: a misconfigured target fails here, with its reason, not as a row of errors.
    await target.call();
  },
  run: ({ concurrency, durationMs }: { concurrency: number; durationMs: number }) => {
    if (target === undefined) throw new Error("run before prepare");
    return runClosedLoop(() => target!.call(), concurrency, durationMs);
  },
  dispose: async () => {
    await target?.close();
    target = undefined;
  },
  cpu: () => process.cpuUsage(),
  close: () => target?.close(),
});
