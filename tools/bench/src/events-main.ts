/**
 * `npm run bench:events` (`node tools/bench/dist/events-main.js [--quick] [--seconds N] [--concurrency N]`): the
 * inbound events table alone; `npm run bench` prints it after the routing table.
 */
import { formatEventsBench, runEventsBench, type EventsBenchOptions } from "./events-bench.js";

function parse(argv: string[]): EventsBenchOptions {
  const opts: EventsBenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const num = (min: number, max: number): number => {
      const n = Number(argv[++i]);
      if (!(n >= min && n <= max)) throw new Error(`${arg} must be a number in [${min}, ${max}]`);
      return n;
    };
    if (arg === "--quick") [opts.warmupMs, opts.measureMs] = [300, 1_000];
    else if (arg === "--seconds") opts.measureMs = num(1, 60) * 1_000;
    else if (arg === "--concurrency") opts.concurrency = num(1, 256);
    else throw new Error(`unknown argument ${arg}; usage: events-main.js [--quick] [--seconds N] [--concurrency N]`);
  }
  return opts;
}

try {
  process.stdout.write(`${formatEventsBench(await runEventsBench(parse(process.argv.slice(2))))}\n`);
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
