/**
 * `npm run bench` (`node tools/bench/dist/main.js [--profile] [--quick] [--seconds N] [--only routing|storm]`):
 * direct, routed and echo calls per second, p50/p99 and the router's CPU per call, then another
 * credential's latency during a 429 storm on a neighbour, as markdown tables on stdout; progress on stderr.
 * `--profile` always profiles the router (otherwise only when a goal is missed); `--quick` runs short rows
 * for a smoke test; `--seconds` sets each measured row's (and storm phase's) length; `--only` runs one part.
 */
import { formatRoutingBench } from "./routing-report.js";
import { runRoutingBench } from "./routing-bench.js";
import { formatStormBench, runStormBench } from "./storm-bench.js";

type Part = "routing" | "storm";

function parse(argv: string[]): { profile: "always" | "on-miss"; warmupMs?: number; measureMs?: number; parts: Part[] } {
  let profile: "always" | "on-miss" = "on-miss";
  // Undefined: runRoutingBench's and runStormBench's defaults.
  let warmupMs: number | undefined;
  let measureMs: number | undefined;
  let parts: Part[] = ["routing", "storm"];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--profile") profile = "always";
    else if (arg === "--quick") [warmupMs, measureMs] = [200, 500];
    else if (arg === "--seconds") {
      const n = Number(argv[++i]);
      if (!(n > 0 && n <= 60)) throw new Error("--seconds must be a number in (0, 60]");
      measureMs = n * 1_000;
    } else if (arg === "--only") {
      const part = argv[++i];
      if (part !== "routing" && part !== "storm") throw new Error("--only must be routing or storm");
      parts = [part];
    } else throw new Error(`unknown argument ${arg}; usage: main.js [--profile] [--quick] [--seconds N] [--only routing|storm]`);
  }
  return { profile, warmupMs, measureMs, parts };
}

try {
  const opts = parse(process.argv.slice(2));
  if (opts.parts.includes("routing")) process.stdout.write(`${formatRoutingBench(await runRoutingBench(opts))}\n`);
  if (opts.parts.includes("storm")) {
    const storm = await runStormBench({ phaseMs: opts.measureMs, rounds: opts.measureMs !== undefined && opts.measureMs < 2_000 ? 1 : undefined });
    process.stdout.write(`\n${formatStormBench(storm)}\n`);
  }
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
