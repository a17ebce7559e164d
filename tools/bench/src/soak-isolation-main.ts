/**
 * `npm run soak:isolation -- [--calls N] [--seed S] [--concurrency C]` (`node tools/bench/dist/soak-isolation-main.js`): issue 10's
 * soak. The isolation property test's generator and judge (`@podium-router/podium-sandbox/isolation-workload`) run
 * N calls (default 1,000,000; one at a time unless --concurrency C) through the real core against an in-process sandbox, in ten equal segments: each of
 * the five sandbox switch settings (the worst case, then each alternative), once with every coastal-smiles
 * location on the owner's credential and once with Sydney on its own narrow one; each segment a fresh sandbox and
 * router. Prints calls, crossings found (exit 1 unless 0) and the calls refused by class and code. Progress on
 * stderr.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createLocationRouter, ownersOf, validateSettings, type OnboardingInput } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Faults } from "@podium-router/podium-sandbox";
import { createIsolationWorkload, describeCrossing, emptyStats, runIsolationWorkload, seededChoices, WORKLOAD_OPERATIONS, WORKLOAD_SWITCH_SETTINGS, type WorkloadStats } from "@podium-router/podium-sandbox/isolation-workload";

const cs = defaultFixtureIds.coastalSmiles;
const OPEN_BUDGET = { rate_per_minute: 1_000_000_000, burst: 1_000_000 };
const SETTINGS = WORKLOAD_SWITCH_SETTINGS;

function parse(argv: string[]): { calls: number; seed: number; concurrency: number } {
  let calls = 1_000_000;
  let seed = 20_261_207;
  let concurrency = 1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--calls") calls = Number(argv[++i]);
    else if (arg === "--seed") seed = Number(argv[++i]);
    else if (arg === "--concurrency") concurrency = Number(argv[++i]);
    else throw new Error(`unknown argument ${arg}; usage: soak-isolation-main.js [--calls N] [--seed S] [--concurrency C]`);
  }
  if (!(Number.isInteger(calls) && calls > 0)) throw new Error("--calls must be a positive integer");
  if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");
  if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 256)) throw new Error("--concurrency must be an integer in [1, 256]");
  return { calls, seed, concurrency };
}

/** One segment: a fresh sandbox and router, `calls` calls. */
async function segment(faults: Faults, sydneyNarrow: boolean, calls: number, seed: number, concurrency: number, stats: WorkloadStats, progress: () => void): Promise<void> {
  const sandbox = await createSandbox({ rateLimit: false, faults });
  const dir = await mkdtemp(join(tmpdir(), "podium-router-soak-"));
  try {
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
      credentials: { path: join(dir, "locations.json") },
      budgets: { location: OPEN_BUDGET, upstream: OPEN_BUDGET },
    });
    const env = { SOAK_CLIENT_ID: cs.app.clientId, SOAK_CLIENT_SECRET: cs.app.clientSecret };
    const router = await createLocationRouter({ settings, env });
    try {
      const inputs: OnboardingInput[] = [];
      for (const uid of Object.values(cs.locations)) {
        const file = join(dir, `rt-${uid}`);
        await writeFile(file, uid === cs.locations.sydney && sydneyNarrow ? cs.sydneyGrant.refreshToken : cs.ownerGrant.refreshToken, { mode: 0o600 });
        inputs.push({ locationUid: uid, orgSlug: cs.slug, clientIdRef: "env:SOAK_CLIENT_ID", clientSecretRef: "env:SOAK_CLIENT_SECRET", refreshTokenFile: file });
      }
      for await (const r of router.onboardLocations(inputs, { caller: "soak" })) {
        if (r.outcome !== "onboarded") throw new Error(`onboarding ${r.locationUid} failed: ${r.errorCode ?? ""} ${r.message}`);
      }
      const next = seededChoices(seed);
      let left = calls;
      await runIsolationWorkload({
        router,
        sandbox,
        workload: createIsolationWorkload({ runId: `soak${seed}` }),
        ownersOf,
        choices: () => (left-- > 0 ? next() : undefined),
        stats,
        onCall: progress,
        concurrency,
      });
    } finally {
      await router.close();
    }
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  const { calls, seed, concurrency } = parse(process.argv.slice(2));
  const stats = emptyStats();
  const t0 = performance.now();
  let lastReport = t0;
  const progress = () => {
    const now = performance.now();
    if (now - lastReport < 10_000) return;
    lastReport = now;
    const s = (now - t0) / 1000;
    process.stderr.write(`soak: ${stats.calls.toLocaleString("en-US")} calls, ${stats.crossings} crossings, ${s.toFixed(0)} s (${Math.round(stats.calls / s)}/s)\n`);
  };
  const segments = SETTINGS.flatMap(([name, faults]) => [false, true].map((narrow) => ({ name, faults, narrow })));
  for (const [i, seg] of segments.entries()) {
    const n = Math.floor(calls / segments.length) + (i < calls % segments.length ? 1 : 0);
    if (n === 0) continue;
    process.stderr.write(`soak: segment ${i + 1}/${segments.length}: ${seg.name}, Sydney on ${seg.narrow ? "its own narrow" : "the owner's"} credential, ${n.toLocaleString("en-US")} calls\n`);
    await segment(seg.faults, seg.narrow, n, seed + i, concurrency, stats, progress);
  }
  const wall = (performance.now() - t0) / 1000;
  const refused = Object.values(stats.refused).reduce((a, b) => a + b, 0);
  const byClass = new Map<string, number>();
  for (const [key, n] of Object.entries(stats.refused)) {
    const cls = key.slice(0, key.lastIndexOf(" "));
    byClass.set(cls, (byClass.get(cls) ?? 0) + n);
  }
  const lines = [
    `calls: ${stats.calls.toLocaleString("en-US")} (${Math.round(stats.calls / wall)}/s, ${wall.toFixed(1)} s; seed ${seed}${concurrency > 1 ? `, ${concurrency} in flight (not reproducible)` : ""}; ${WORKLOAD_OPERATIONS.filter((op) => stats.operations.has(op)).length}/${WORKLOAD_OPERATIONS.length} operations made)`,
    `crossings found: ${stats.crossings}`,
    `answered 2xx: ${stats.answered.toLocaleString("en-US")}; Podium's own errors passed on: ${Object.entries(stats.upstreamStatus).map(([s, n]) => `${s} × ${n.toLocaleString("en-US")}`).join(", ") || "none"}`,
    `organization-wide calls under a grant (counted, not judged): ${stats.organizationWide.toLocaleString("en-US")}; ledger gaps: ${stats.ledgerGaps}`,
    `refused: ${refused.toLocaleString("en-US")}`,
    ...[...byClass.entries()].sort((a, b) => b[1] - a[1]).map(([cls, n]) => `  ${cls}: ${n.toLocaleString("en-US")}  (${Object.entries(stats.refused).filter(([k]) => k.startsWith(`${cls} `)).sort((a, b) => b[1] - a[1]).map(([k, m]) => `${k.slice(cls.length + 1)} ${m.toLocaleString("en-US")}`).join(", ")})`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (stats.crossings > 0) {
    process.stdout.write(`first crossings:\n${stats.examples.slice(0, 20).map((x) => `  ${describeCrossing(x)}`).join("\n")}\n`);
    process.exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`soak-isolation: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
