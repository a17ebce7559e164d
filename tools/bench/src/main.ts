/**
 * `npm run bench` (`node tools/bench/dist/main.js [--profile] [--quick] [--seconds N] [--only routing|writes|storm|events] [--writes]`):
 * direct, routed and echo calls per second, p50/p99 and the router's CPU per call; then the write rows (a
 * routed write under each audit.fsync policy, as ratios against `never`); then another credential's latency
 * during a 429 storm on a neighbour; then the inbound events table (events-bench.ts); as markdown tables on
 * stdout, progress on stderr. `--profile` always profiles the router (otherwise only when a goal is missed);
 * `--quick` runs short rows for a smoke test; `--seconds` sets each measured row's (and storm phase's) length;
 * `--only` runs one part (`--writes` is `--only writes`).
 */
import { formatEventsBench, runEventsBench } from "./events-bench.js";
import { formatRoutingBench } from "./routing-report.js";
import { runRoutingBench } from "./routing-bench.js";
import { formatStormBench, runStormBench } from "./storm-bench.js";
import { formatWriteBench, runWriteBench } from "./write-bench.js";

const allParts = ["routing", "writes", "storm", "events"] as const;
type Part = (typeof allParts)[number];

function parse(argv: string[]): { profile: "always" | "on-miss"; warmupMs?: number; measureMs?: number; parts: Part[] } {
  let profile: "always" | "on-miss" = "on-miss";
  // Undefined: each part's own defaults.
  let warmupMs: number | undefined;
  let measureMs: number | undefined;
  let parts: Part[] = [...allParts];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--profile") profile = "always";
    else if (arg === "--quick") [warmupMs, measureMs] = [200, 500];
    else if (arg === "--seconds") {
      const n = Number(argv[++i]);
      if (!(n > 0 && n <= 60)) throw new Error("--seconds must be a number in (0, 60]");
      measureMs = n * 1_000;
    } else if (arg === "--writes") parts = ["writes"];
    else if (arg === "--only") {
      const part = argv[++i] as Part;
      if (!allParts.includes(part)) throw new Error(`--only must be one of ${allParts.join(", ")}`);
      parts = [part];
    } else throw new Error(`unknown argument ${arg}; usage: main.js [--profile] [--quick] [--seconds N] [--only ${allParts.join("|")}] [--writes]`);
  }
  return { profile, warmupMs, measureMs, parts };
}

try {
  const opts = parse(process.argv.slice(2));
  if (opts.parts.includes("routing")) process.stdout.write(`${formatRoutingBench(await runRoutingBench(opts))}\n\n`);
  if (opts.parts.includes("writes")) {
    const writes = await runWriteBench({ warmupMs: opts.warmupMs, measureMs: opts.measureMs });
    process.stdout.write(`${formatWriteBench(writes)}\n\n`);
  }
  if (opts.parts.includes("storm")) {
    const storm = await runStormBench({ phaseMs: opts.measureMs, rounds: opts.measureMs !== undefined && opts.measureMs < 2_000 ? 1 : undefined });
    process.stdout.write(`${formatStormBench(storm)}\n\n`);
  }
  if (opts.parts.includes("events")) {
    // Inbound events: webhooks received, stored and delivered, against a raw HTTP receiver in the same run.
    const events = await runEventsBench(opts.measureMs === undefined ? {} : { warmupMs: opts.warmupMs, measureMs: opts.measureMs * 2 });
    process.stdout.write(`${formatEventsBench(events)}\n`);
  }
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
