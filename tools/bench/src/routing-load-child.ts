/**
 * Child process: the load generator for `npm run bench`, kept out of the router's process. It holds
 * one caller per scenario, so the parent can interleave scenarios slice by slice, and adds up each
 * scenario's slices per concurrency.
 */
import { serveBenchParent } from "./bench-child.js";
import { createLoadRunner, type RunArg } from "./routing-load.js";
import { createTarget, type Target, type TargetSpec } from "./routing-targets.js";

const targets = new Map<string, Target>();
const runner = createLoadRunner();

function targetOf(id: string): Target {
  const target = targets.get(id);
  if (target === undefined) throw new Error(`no target ${id}; prepare it first`);
  return target;
}

serveBenchParent({
  prepare: async ({ id, spec }: { id: string; spec: TargetSpec }) => {
    await targets.get(id)?.close();
    const target = createTarget(spec);
    targets.set(id, target);
    // One call first: a misconfigured target fails here, with its reason, not as a row of errors.
    await target.call();
  },
  run: ({ id, concurrency, durationMs, record, ratePerSecond, backoffMs }: RunArg) => {
    const target = targetOf(id);
    return runner.run(id, () => target.call(), concurrency, durationMs, record, { ratePerSecond, backoffMs });
  },
  result: ({ id, concurrency }: { id: string; concurrency: number }) => runner.result(id, concurrency),
  dispose: async ({ id }: { id: string }) => {
    await targets.get(id)?.close();
    targets.delete(id);
  },
  cpu: () => process.cpuUsage(),
  close: async () => {
    await Promise.all([...targets.values()].map((t) => t.close()));
  },
});
