/**
 * `npm run bench:audit [-- --lines N] [--days D] [--locations L] [--queries Q] [--append A] [--gzip G] [--dir DIR] [--keep]`:
 * generates a hash-chained audit log (default 10 million lines over 90 days and 5,000 locations, one
 * file per day) in a temporary directory, builds the SQLite index from it, times one-location
 * seven-day queries (each after appending a few lines, so each includes an incremental refresh), and
 * prints a markdown table. The directory is removed afterwards unless --keep.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatAuditBench, runAuditBench } from "./audit-bench.js";

const usage = "usage: audit-main [--lines N] [--days D] [--locations L] [--queries Q] [--append A] [--gzip G] [--dir DIR] [--keep]";
const numbers: Record<string, number> = { lines: 10_000_000, days: 90, locations: 5_000, queries: 500, append: 3, gzip: 0 };
let keep = false;
let parent = tmpdir();
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const name = args[i]!.replace(/^--/, "");
  if (name === "keep") {
    keep = true;
    continue;
  }
  const value = args[++i];
  if (name === "dir" && value !== undefined) {
    parent = value;
    continue;
  }
  const n = Number(value);
  if (!(name in numbers) || !Number.isSafeInteger(n) || n < 0 || (n === 0 && name !== "gzip")) {
    process.stderr.write(`audit-main: bad argument ${args[i - 1]} ${value ?? ""}\n${usage}\n`);
    process.exit(2);
  }
  numbers[name] = n;
}
if (numbers.days! < 8) {
  process.stderr.write("audit-main: --days must be at least 8 (the query spans 7 days)\n");
  process.exit(2);
}

const dir = mkdtempSync(join(parent, "podium-audit-bench-"));
const spec = {
  dir,
  lines: numbers.lines!,
  days: numbers.days!,
  locations: numbers.locations!,
  gzipFiles: numbers.gzip!,
  queries: numbers.queries!,
  appendPerQuery: numbers.append!,
};
try {
  const result = await runAuditBench({ ...spec, log: (line) => process.stderr.write(`audit-main: ${line}\n`) });
  console.log(formatAuditBench(result, spec));
} catch (err) {
  process.stderr.write(`audit-main: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  if (keep) process.stderr.write(`audit-main: kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}
