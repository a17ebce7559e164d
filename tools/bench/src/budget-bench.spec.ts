import { describe, expect, it } from "vitest";
import { formatBudgetBench, runBudgetBench, type BudgetBenchRow } from "./budget-bench.js";

/** The machine's Redis may be absent on a developer's machine; CI (PODIUM_ROUTER_REQUIRE_SERVICES=1) requires it. */
async function benchOrSkip(): Promise<BudgetBenchRow[] | undefined> {
  try {
    return await runBudgetBench({ decisions: 200 });
  } catch (err) {
    if (process.env["PODIUM_ROUTER_REQUIRE_SERVICES"] === "1") throw err;
    console.warn(`budget bench skipped: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

describe("runBudgetBench()", () => {
  it("measures memory and Redis decisions in one run, the memory row being the unit of the ratios", async () => {
    const rows = await benchOrSkip();
    if (rows === undefined) return;
    expect(rows.map((r) => r.backend)).toEqual(["memory", "redis", "redis (16 in flight)"]);
    expect(rows[0]).toMatchObject({ decisions: 200, ratio: 1, ratioP50: 1 });
    for (const r of rows) {
      expect(r.meanUs).toBeGreaterThan(0);
      expect(r.p99Us).toBeGreaterThanOrEqual(r.p50Us);
    }
    expect(rows[1]!.ratio).toBeCloseTo(rows[1]!.meanUs / rows[0]!.meanUs);
    expect(formatBudgetBench(rows).split("\n")).toHaveLength(4);
  });
});
