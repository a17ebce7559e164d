/**
 * Issue 10's property: random operation sequences by random locations of one organization over shared resources
 * never change or return another location's data, judged from the sandbox's ownership-aware ledger (writes) and
 * from what the caller received (reads, with `ownersOf`). The generator and the judge are the sandbox's isolation
 * workload, which `npm run soak:isolation` runs too (tools/bench/src/soak-isolation-main.ts).
 *
 * Each run is a fresh sandbox and router: coastal-smiles' four locations registered, Newcastle, Burleigh Heads and
 * Byron Bay on the owner's credential (it reaches all four), Sydney on its own narrow credential or on the owner's
 * (drawn per run). Once per sandbox switch setting: the worst case (the defaults), then each alternative. Seeded
 * (one seed per setting), so a failure reproduces; it stops at the first failing run and prints the crossings (the
 * call, its ledger write or its answer). `ISO_SHRINK=1` lets fast-check shrink the sequence instead (slow: each
 * step is a fresh sandbox and router), `ISO_RUNS=n` changes the runs per setting, `ISO_PRINT=1` prints the counts.
 */
import fc from "fast-check";
import { defaultFixtureIds, type Faults } from "@podium-router/podium-sandbox";
import { CHOICE_LENGTH, createIsolationWorkload, describeCrossing, runIsolationWorkload, WORKLOAD_OPERATIONS, WORKLOAD_SWITCH_SETTINGS, type Choice, type WorkloadStats, emptyStats } from "@podium-router/podium-sandbox/isolation-workload";
import { afterAll, describe, expect, it } from "vitest";
import { ownersOf } from "../isolation/index.js";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";

const cs = defaultFixtureIds.coastalSmiles;
const OPEN_BUDGET = { rate_per_minute: 1_000_000_000, burst: 1_000_000 };
/** Calls per run and runs per switch setting: 5 settings × RUNS × SEQUENCE ≥ 20,000 calls. */
const SEQUENCE = 200;
const RUNS = Number(process.env["ISO_RUNS"] ?? 20);
const SEED = 20_261_207;

const SETTINGS = WORKLOAD_SWITCH_SETTINGS;

async function coastal(faults: Faults, sydneyNarrow: boolean): Promise<Harness> {
  const h = await createHarness({ sandbox: { faults }, settings: { budgets: { location: OPEN_BUDGET, upstream: OPEN_BUDGET } } });
  const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
  const narrow = fixtureGrant(h.sandbox, cs.sydneyGrant.grantId);
  for (const uid of Object.values(cs.locations)) {
    await h.register(uid, uid === cs.locations.sydney && sydneyNarrow ? narrow : owner, cs.slug, cs.organizationUid);
  }
  await h.restart();
  return h;
}

const choice = fc.array(fc.nat(), { minLength: CHOICE_LENGTH, maxLength: CHOICE_LENGTH });
const total = emptyStats();

describe("failure 1 under random use: no location's data is ever changed or returned by another location's calls", () => {
  afterAll(() => {
    if (process.env["ISO_PRINT"] === "1") console.log(JSON.stringify({ calls: total.calls, answered: total.answered, upstream: total.upstreamStatus, refused: total.refused }, null, 1));
    // With every setting run: at least 20,000 calls, and every operation made (the sequences reach what they should).
    if (total.calls < SETTINGS.length * RUNS * SEQUENCE) return;
    if (RUNS >= 20) expect(total.calls).toBeGreaterThanOrEqual(20_000);
    expect(WORKLOAD_OPERATIONS.filter((op) => !total.operations.has(op))).toEqual([]);
  });

  for (const [index, [name, faults]] of SETTINGS.entries()) {
    it(`${SEQUENCE} calls × ${RUNS} runs, ${name}`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(choice, { minLength: SEQUENCE, maxLength: SEQUENCE }), async (sydneyNarrow, choices) => {
          const h = await coastal(faults, sydneyNarrow);
          try {
            let i = 0;
            const stats: WorkloadStats = await runIsolationWorkload({
              router: h.router,
              sandbox: h.sandbox,
              workload: createIsolationWorkload(),
              ownersOf,
              choices: () => choices[i++] as Choice | undefined,
            });
            merge(total, stats);
            if (stats.crossings > 0) throw new Error(`${stats.crossings} crossing(s):\n${stats.examples.slice(0, 10).map(describeCrossing).join("\n")}`);
            expect(stats.ledgerGaps).toBe(0);
          } finally {
            await h.close();
          }
        }),
        { numRuns: RUNS, seed: SEED + index, endOnFailure: process.env["ISO_SHRINK"] !== "1" },
      );
    });
  }
});

function merge(into: WorkloadStats, from: WorkloadStats): void {
  into.calls += from.calls;
  into.answered += from.answered;
  for (const [k, n] of Object.entries(from.upstreamStatus)) into.upstreamStatus[k] = (into.upstreamStatus[k] ?? 0) + n;
  for (const op of from.operations) into.operations.add(op);
  for (const [k, n] of Object.entries(from.refused)) into.refused[k] = (into.refused[k] ?? 0) + n;
}
