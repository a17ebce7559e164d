/**
 * `npm run bench` (`node tools/bench/dist/main.js [--profile] [--quick] [--seconds N] [--writes]`): direct,
 * routed and echo calls per second, p50/p99 and the router's CPU per call, as a markdown table on
 * stdout, then the write rows (a routed write under each audit.fsync policy, as ratios against `never`), then
 * the inbound events table (events-bench.ts); progress on stderr. `--profile` always profiles the router
 * (otherwise only when a goal is missed); `--quick` runs short rows for a smoke test; `--seconds` sets each
 * measured row's length; `--writes` runs the write rows only.
 */
import { formatEventsBench, runEventsBench } from "./events-bench.js";
import { formatRoutingBench } from "./routing-report.js";
import { runRoutingBench } from "./routing-bench.js";
import { formatWriteBench, runWriteBench } from "./write-bench.js";

function parse(argv: string[]): { profile: "always" | "on-miss"; warmupMs?: number; measureMs?: number; writesOnly: boolean } {
  let profile: "always" | "on-miss" = "on-miss";
  let writesOnly = false;
  // Undefined: runRoutingBench's defaults.
  let warmupMs: number | undefined;
  let measureMs: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--profile") profile = "always";
    else if (arg === "--writes") writesOnly = true;
    else if (arg === "--quick") [warmupMs, measureMs] = [200, 500];
    else if (arg === "--seconds") {
      const n = Number(argv[++i]);
      if (!(n > 0 && n <= 60)) throw new Error("--seconds must be a number in (0, 60]");
      measureMs = n * 1_000;
    } else throw new Error(`unknown argument ${arg}; usage: main.js [--profile] [--quick] [--seconds N] [--writes]`);
  }
  return { profile, warmupMs, measureMs, writesOnly };
}

try {
  const opts = parse(process.argv.slice(2));
  if (!opts.writesOnly) {
    const result = await runRoutingBench(opts);
    process.stdout.write(`${formatRoutingBench(result)}\n\n`);
  }
  const writes = await runWriteBench({ warmupMs: opts.warmupMs, measureMs: opts.measureMs });
  process.stdout.write(`${formatWriteBench(writes)}\n`);
  if (!opts.writesOnly) {
    // Inbound events: webhooks received, stored and delivered, against a raw HTTP receiver in the same run.
    const events = await runEventsBench(opts.measureMs === undefined ? {} : { warmupMs: opts.warmupMs, measureMs: opts.measureMs * 2 });
    process.stdout.write(`\n${formatEventsBench(events)}\n`);
  }
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
