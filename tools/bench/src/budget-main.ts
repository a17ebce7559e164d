/**
 * `node tools/bench/dist/budget-main.js [decisions]`: the Redis-backed budget decision against the
 * in-memory one, printed as a table. Redis: PODIUM_ROUTER_BENCH_REDIS_URL, else 127.0.0.1:6379.
 */
import { formatBudgetBench, runBudgetBench } from "./budget-bench.js";

const arg = process.argv[2];
const decisions = arg === undefined ? undefined : Number(arg);
if (decisions !== undefined && !(Number.isInteger(decisions) && decisions > 0)) {
  process.stderr.write("budget-main: decisions must be a positive integer\n");
  process.exit(1);
}
try {
  console.log(formatBudgetBench(await runBudgetBench({ decisions })));
} catch (err) {
  process.stderr.write(`budget-main: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
