/**
 * `node tools/bench/dist/scale-main.js [--onboard N] [--concurrency C] [--startup N,N,...] [--quick]`
 *
 * Issue 4's scale figures as markdown tables: onboarding N locations (default 1,000) at concurrency C
 * (default 8) against the in-process sandbox, with the file store and, for comparison, an in-memory one;
 * and a router starting on 10,000 and 100,000 stored locations, each measured in a fresh process.
 * `--quick` runs small sizes only, to check the bench itself. `startup-child` is the child side.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runOnboardingBench, runStartupBench, startupChild, type OnboardingBenchResult, type StartupBenchResult } from "./onboarding-bench.js";

const SELF = fileURLToPath(import.meta.url);

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "startup-child") return startupChild(argv[1] ?? "");
  const { values } = parseArgs({
    args: argv,
    options: { onboard: { type: "string" }, concurrency: { type: "string" }, startup: { type: "string" }, quick: { type: "boolean" } },
  });
  const positive = (name: string, raw: string | undefined, fallback: number): number => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const quick = values.quick === true;
  const n = positive("onboard", values.onboard, quick ? 50 : 1000);
  const concurrency = positive("concurrency", values.concurrency, 8);
  const startupSizes = (values.startup ?? (quick ? "1000" : "10000,100000")).split(",").map((s) => positive("startup", s, 0));

  const onboarding: OnboardingBenchResult[] = [];
  for (const [layout, store] of [
    ["grant-per-location", "file"],
    ["grant-per-location", "memory"],
    ["one-grant", "file"],
  ] as const) {
    onboarding.push(await runOnboardingBench({ locations: n, concurrency, layout, store }));
  }
  console.log(formatOnboarding(onboarding));
  console.log();

  const startup: StartupBenchResult[] = [];
  for (const size of startupSizes) startup.push(await runStartupBench(size, SELF));
  console.log(formatStartup(startup));
}

const fmt = (x: number, digits = 1): string => x.toFixed(digits);

function formatOnboarding(rows: OnboardingBenchResult[]): string {
  const lines = [
    "| locations | concurrency | credentials | store | seconds | locations/s | onboarded | failed | sandbox requests | locations file |",
    "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.locations} | ${r.concurrency} | ${r.layout} | ${r.store} | ${fmt(r.seconds, 2)} | ${fmt(r.locations / r.seconds, 0)} | ${r.onboarded} | ${r.failed} | ${r.upstreamRequests} | ${r.fileBytes ? `${fmt(r.fileBytes / 1024, 0)} KiB` : "-"} |`,
    );
  }
  return lines.join("\n");
}

function formatStartup(rows: StartupBenchResult[]): string {
  const lines = [
    "| stored locations | locations file | createLocationRouter | ready since process start | RSS after GC | RSS before the router | heap used |",
    "|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.locations} | ${fmt(r.fileBytes / 1048576)} MiB | ${fmt(r.createRouterMs, 0)} ms | ${fmt(r.sinceProcessStartMs, 0)} ms | ${fmt(r.rssMb)} MB | ${fmt(r.baselineRssMb)} MB | ${fmt(r.heapUsedMb)} MB |`,
    );
  }
  return lines.join("\n");
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`scale-main: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
