/** The benchmark's goals and its markdown report. */
import type { ProfileSummary } from "./bench-cpu-profile.js";
import type { BenchRow, RoutingBenchResult } from "./routing-bench.js";

/** The goals of issue 3, as numbers. */
export const routingGoals = Object.freeze({
  /** Routed p50 at moderate load may exceed direct p50 by at most this. */
  addedP50Ms: 0.5,
  /** Router CPU per routed call, at most. */
  routerCpuMsPerCall: 0.2,
  /** Routed throughput at least this share of direct, and of the echo ceiling. */
  throughputShare: 0.5,
});

/** Issue 10's ownership goals, as numbers. */
export const ownershipGoals = Object.freeze({
  /** Router CPU a warm ownership check may add per call against a location-named call. */
  warmAddedCpuMs: 0.02,
  /** Extra upstream requests per call with the ownership cache cold. */
  coldExtraUpstream: 1,
});

/** One goal for one routed protocol. */
export interface GoalCheck {
  protocol: string;
  goal: string;
  value: string;
  met: boolean;
}

const find = (rows: readonly BenchRow[], path: BenchRow["path"], protocol: string | undefined, concurrency: number): BenchRow | undefined =>
  rows.find((r) => r.path === path && (protocol === undefined || r.protocol === protocol) && r.result.concurrency === concurrency);

const ms = (v: number, digits = 2): string => v.toFixed(digits);
const ratio = (v: number): string => `${v.toFixed(2)}×`;

/** Checks every goal for every routed protocol; `moderate` and `high` are the two concurrencies. */
export function checkGoals(rows: readonly BenchRow[], moderate: number, high: number): GoalCheck[] {
  const directM = find(rows, "direct", undefined, moderate);
  const directH = find(rows, "direct", undefined, high);
  const checks: GoalCheck[] = [];
  for (const protocol of [...new Set(rows.filter((r) => r.path === "routed").map((r) => r.protocol))]) {
    const m = find(rows, "routed", protocol, moderate);
    const h = find(rows, "routed", protocol, high);
    const echoH = find(rows, "echo", protocol, high);
    if (m !== undefined && directM !== undefined) {
      const added = m.result.p50Ms - directM.result.p50Ms;
      checks.push({ protocol, goal: `p50 within ${routingGoals.addedP50Ms} ms of direct (${moderate} in flight)`, value: `+${ms(added)} ms`, met: added <= routingGoals.addedP50Ms });
    }
    const cpu = Math.max(m?.routerCpuMs ?? 0, h?.routerCpuMs ?? 0);
    checks.push({ protocol, goal: `router CPU ≤ ${routingGoals.routerCpuMsPerCall} ms per call`, value: `${ms(cpu, 3)} ms`, met: cpu <= routingGoals.routerCpuMsPerCall });
    if (h !== undefined && directH !== undefined) {
      const share = h.result.callsPerSecond / directH.result.callsPerSecond;
      checks.push({ protocol, goal: `throughput ≥ ${routingGoals.throughputShare} × direct (${high} in flight)`, value: ratio(share), met: share >= routingGoals.throughputShare });
    }
    if (h !== undefined && echoH !== undefined) {
      const share = h.result.callsPerSecond / echoH.result.callsPerSecond;
      checks.push({ protocol, goal: `throughput ≥ ${routingGoals.throughputShare} × echo ceiling (${high} in flight)`, value: ratio(share), met: share >= routingGoals.throughputShare });
    }
    for (const r of [m, h]) {
      if (r !== undefined && r.result.errors > 0) checks.push({ protocol, goal: `no failed calls (${r.result.concurrency} in flight)`, value: `${r.result.errors}: ${r.result.firstError ?? ""}`, met: false });
    }
  }
  return checks;
}

/** The missed goals, one line each; empty when all are met. */
export function missedGoals(rows: readonly BenchRow[], moderate: number, high: number): string[] {
  return checkGoals(rows, moderate, high)
    .filter((c) => !c.met)
    .map((c) => `${c.protocol}: ${c.goal}: ${c.value}`);
}

function table(header: string[], body: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...body.map(line)].join("\n");
}

/** The whole report as markdown. */
export function formatRoutingBench(r: RoutingBenchResult): string {
  const out: string[] = [];
  out.push(`## podium-router benchmark: \`${r.request.method} ${r.request.path}\` for one location`);
  out.push("");
  out.push(
    `Node ${r.nodeVersion}, ${r.cpus} CPUs shared by three processes (sandbox, router, load generator). ` +
      `Closed loop: 1 call in flight for the hop's own latency, ${r.moderate} for latency at moderate load, ${r.high} for throughput; ${r.warmupMs / 1_000} s warm-up per scenario, then ${r.measureMs / 1_000} s measured per row in ${r.rounds} slices, the scenarios taking turns. ` +
      `Direct = undici to the sandbox with the router's headers; routed = \`Call\` through the router (gRPC client: @grpc/grpc-js; Connect: connect-node, binary); ` +
      `echo = the same server stack answering \`Call\` from a stub core (no upstream): the framework's ceiling; core = the routing core alone, called inside the router process (no server, no client). CPU per call is each process's own process.cpuUsage() over the measured run.`,
  );
  const others = r.rows.reduce((t, row) => t + row.otherCpus, 0) / Math.max(1, r.rows.length);
  out.push("");
  out.push(
    `Other processes kept ${others.toFixed(2)} of the ${r.cpus} CPUs busy on average during the measured slices` +
      (others > 0.25 ? ": the machine was not quiet, so read the rows as ratios taken under the same noise, not as capacity." : "."),
  );
  const seen = r.upstreamSeen;
  if (seen.direct !== null && seen.routed !== null) {
    const same = seen.direct.method === seen.routed.method && seen.direct.path === seen.routed.path && seen.direct.podiumVersion === seen.routed.podiumVersion;
    out.push("");
    out.push(
      `Upstream request as the sandbox saw it: direct \`${seen.direct.method} ${seen.direct.path}\` (podium-version ${seen.direct.podiumVersion}, ${seen.direct.status}), ` +
        `routed \`${seen.routed.method} ${seen.routed.path}\` (podium-version ${seen.routed.podiumVersion}, ${seen.routed.status})${same ? ": the same request" : ": DIFFERENT requests"}.`,
    );
  }
  out.push("");
  out.push(
    table(
      ["path", "protocol", "in flight", "calls/s", "p50 ms", "p99 ms", "router CPU ms/call", "sandbox CPU ms/call", "load gen CPU ms/call", "others' CPUs", "errors"],
      r.rows.filter((row) => row.label === undefined).map((row) => [
        row.path,
        row.protocol,
        String(row.result.concurrency),
        Math.round(row.result.callsPerSecond).toLocaleString("en-US"),
        ms(row.result.p50Ms),
        ms(row.result.p99Ms),
        row.path === "direct" ? "–" : ms(row.routerCpuMs, 3),
        row.path === "echo" ? "–" : ms(row.sandboxCpuMs, 3),
        ms(row.loadCpuMs, 3),
        row.otherCpus.toFixed(2),
        String(row.result.errors),
      ]),
    ),
  );
  out.push("");
  const direct1 = find(r.rows, "direct", undefined, 1);
  const directM = find(r.rows, "direct", undefined, r.moderate);
  const directH = find(r.rows, "direct", undefined, r.high);
  const coreM = find(r.rows, "core", undefined, r.moderate);
  const coreH = find(r.rows, "core", undefined, r.high);
  const coreCpu = coreM === undefined || coreH === undefined ? "–" : `${ms(coreM.routerCpuMs, 3)} / ${ms(coreH.routerCpuMs, 3)}`;
  const ratioRows: string[][] = [];
  for (const protocol of [...new Set(r.rows.filter((x) => x.path === "routed").map((x) => x.protocol))]) {
    const one = find(r.rows, "routed", protocol, 1);
    const m = find(r.rows, "routed", protocol, r.moderate);
    const h = find(r.rows, "routed", protocol, r.high);
    const em = find(r.rows, "echo", protocol, r.moderate);
    const eh = find(r.rows, "echo", protocol, r.high);
    if (m === undefined || h === undefined || directM === undefined || directH === undefined) continue;
    ratioRows.push([
      protocol,
      one === undefined || direct1 === undefined ? "–" : `+${ms(one.result.p50Ms - direct1.result.p50Ms)}`,
      `+${ms(m.result.p50Ms - directM.result.p50Ms)}`,
      ratio(m.result.p50Ms / directM.result.p50Ms),
      ratio(h.result.callsPerSecond / directH.result.callsPerSecond),
      eh === undefined ? "–" : ratio(h.result.callsPerSecond / eh.result.callsPerSecond),
      em === undefined ? "–" : ratio(m.result.p50Ms / em.result.p50Ms),
      `${ms(m.routerCpuMs, 3)} / ${ms(h.routerCpuMs, 3)}`,
      em === undefined || eh === undefined ? "–" : `${ms(em.routerCpuMs, 3)} / ${ms(eh.routerCpuMs, 3)}`,
      coreCpu,
    ]);
  }
  out.push(
    table(
      [
        "routed protocol",
        "p50 added vs direct (ms, 1)",
        `p50 added vs direct (ms, ${r.moderate})`,
        `p50 routed/direct (${r.moderate})`,
        `calls/s routed/direct (${r.high})`,
        `calls/s routed/echo (${r.high})`,
        `p50 routed/echo (${r.moderate})`,
        `router CPU ms/call (${r.moderate} / ${r.high})`,
        `echo CPU ms/call (${r.moderate} / ${r.high})`,
        `core alone CPU ms/call (${r.moderate} / ${r.high})`,
      ],
      ratioRows,
    ),
  );
  out.push("");
  out.push(formatCpuBudget(r.rows.filter((row) => row.label === undefined), r.high));
  out.push("");
  const ownership = formatOwnership(r.rows, [...new Set(r.rows.map((row) => row.result.concurrency))]);
  if (ownership !== "") out.push(ownership, "");
  const checks = checkGoals(r.rows, r.moderate, r.high);
  out.push("Goals:");
  for (const c of checks) out.push(`- ${c.met ? "met" : "MISSED"}: ${c.protocol}, ${c.goal}: ${c.value}`);
  if (r.profile !== undefined) {
    out.push("");
    out.push(formatProfile(r.profile, r.high));
    if (r.profileFile !== undefined) out.push("", `The profile is saved at ${r.profileFile} (open it in Chrome DevTools, Performance tab).`);
  }
  return out.join("\n");
}

/**
 * Issue 10's rows: the core alone making a location-named call, and a call on an owned resource with the ownership
 * cache warm and cold; then, per concurrency, the router CPU warm ownership adds against the location-named call
 * and the upstream requests cold ownership adds against warm (the sandbox's count and the router's owner lookups).
 */
export function formatOwnership(rows: readonly BenchRow[], levels: readonly number[]): string {
  const labeled = rows.filter((row) => row.label !== undefined);
  if (labeled.length === 0) return "";
  const of = (prefix: string, c: number): BenchRow | undefined => labeled.find((row) => row.label?.startsWith(prefix) === true && row.result.concurrency === c);
  const perCall = (v: number | undefined): string => (v === undefined ? "–" : v.toFixed(2));
  const out: string[] = [];
  out.push("Ownership (issue 10), the core alone in the router process, Sydney's own credential:");
  out.push("");
  out.push(
    table(
      ["call", "in flight", "calls/s", "p50 ms", "router CPU ms/call", "upstream requests/call", "owner lookups/call", "errors"],
      labeled.map((row) => [
        row.label as string,
        String(row.result.concurrency),
        Math.round(row.result.callsPerSecond).toLocaleString("en-US"),
        ms(row.result.p50Ms),
        ms(row.routerCpuMs, 3),
        perCall(row.upstreamPerCall),
        perCall(row.ownerLookupsPerCall),
        String(row.result.errors),
      ]),
    ),
  );
  out.push("");
  const body: string[][] = [];
  for (const c of levels) {
    const loc = of("location-named", c);
    const warm = of("owned, cache warm", c);
    const cold = of("owned, cache cold", c);
    if (loc === undefined || warm === undefined || cold === undefined) continue;
    const added = warm.routerCpuMs - loc.routerCpuMs;
    const extra = (cold.upstreamPerCall ?? 0) - (warm.upstreamPerCall ?? 0);
    body.push([
      String(c),
      `${added >= 0 ? "+" : ""}${ms(added, 3)} (${added <= ownershipGoals.warmAddedCpuMs ? "met" : "MISSED"})`,
      ratio(warm.routerCpuMs / loc.routerCpuMs),
      `${extra >= 0 ? "+" : ""}${extra.toFixed(2)} (${Math.abs(extra - ownershipGoals.coldExtraUpstream) < 0.05 ? "met" : "MISSED"})`,
      `${perCall(warm.ownerLookupsPerCall)} / ${perCall(cold.ownerLookupsPerCall)}`,
      ratio(cold.routerCpuMs / warm.routerCpuMs),
    ]);
  }
  out.push(
    table(
      [
        "in flight",
        `warm ownership's added router CPU ms/call vs location-named (goal ≤ ${ownershipGoals.warmAddedCpuMs})`,
        "router CPU warm/location-named",
        `cold's extra upstream requests/call vs warm (goal ${ownershipGoals.coldExtraUpstream})`,
        "owner lookups/call warm / cold",
        "router CPU cold/warm",
      ],
      body,
    ),
  );
  return out.join("\n");
}

/**
 * CPU per call summed over the three processes at `concurrency`. With the machine's CPUs saturated,
 * calls per second can be no better than the CPU available divided by this, so the ratio of two rows'
 * totals bounds their throughput ratio whatever the router does with its own share.
 */
export function formatCpuBudget(rows: readonly BenchRow[], concurrency: number): string {
  const direct = find(rows, "direct", undefined, concurrency);
  const total = (row: BenchRow): number => row.loadCpuMs + row.routerCpuMs + (row.path === "echo" ? 0 : row.sandboxCpuMs);
  const body = rows
    .filter((row) => row.result.concurrency === concurrency)
    .map((row) => [
      `${row.path} ${row.protocol}`,
      ms(row.loadCpuMs, 3),
      row.path === "direct" ? "–" : ms(row.routerCpuMs, 3),
      row.path === "echo" ? "–" : ms(row.sandboxCpuMs, 3),
      ms(total(row), 3),
      direct === undefined ? "–" : ratio(total(row) / total(direct)),
    ]);
  return [
    `CPU per call across the processes (${concurrency} in flight). When the CPUs are saturated, throughput relative to direct is bounded by the inverse of the last column:`,
    "",
    table(["row", "load gen ms", "router ms", "sandbox ms", "total ms", "total/direct"], body),
  ].join("\n");
}

/** The profile section: top self-time functions and time by package. */
export function formatProfile(p: ProfileSummary, concurrency: number): string {
  const pct = (v: number): string => `${v.toFixed(1)}%`;
  return [
    `### Router CPU profile (routed gRPC, ${concurrency} in flight; ${Math.round(p.busyMs)} ms busy, idle excluded)`,
    "",
    table(
      ["self %", "self ms", "function", "where"],
      p.topFunctions.map((f) => [pct(f.percent), ms(f.selfMs, 0), `\`${f.name}\``, f.where === "" ? "" : `\`${f.where}\``]),
    ),
    "",
    table(
      ["package", "self %"],
      p.byPackage.slice(0, 12).map((g) => [g.name, pct(g.percent)]),
    ),
  ].join("\n");
}
