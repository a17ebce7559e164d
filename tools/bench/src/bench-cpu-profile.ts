/**
 * Where a process spent its CPU: a V8 `.cpuprofile` (written by `node --cpu-prof`) reduced to the
 * functions with the most self time and the same time grouped by package. Idle time is left out.
 */

/** The parts of a V8 CPU profile this reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** One function (or one package) and its self time. */
export interface ProfileRow {
  name: string;
  /** Package-relative file and 1-based line, or "" for V8's pseudo-frames. */
  where: string;
  selfMs: number;
  /** Share of the busy (non-idle) time, 0..100. */
  percent: number;
}

/** A profile summary. */
export interface ProfileSummary {
  busyMs: number;
  topFunctions: ProfileRow[];
  byPackage: ProfileRow[];
}

/** The package (or Node subsystem, or V8 pseudo-frame) a frame belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") === true ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? url);
  }
  for (const [dir, name] of [["/packages/core/", "@podium-router/core"], ["/apps/router-server/", "@podium-router/server"], ["/tools/bench/", "bench"], ["/packages/proto/", "@podium-router/proto"]] as const) {
    if (url.includes(dir)) return name;
  }
  if (url.startsWith("node:")) {
    const parts = url.slice("node:".length).split("/");
    const sub = parts[0] === "internal" ? parts[1] : parts[0];
    return `node:${(sub ?? "").replace(/\.js$/, "").replace(/^_http_\w+$/, "http")}`;
  }
  return url;
}

/** Shortens a frame's URL to `package/path:line`. */
function whereOf(url: string, lineNumber: number): string {
  if (url === "") return "";
  const file = url.replace(/^file:\/\//, "");
  const nm = file.lastIndexOf("/node_modules/");
  let short = nm >= 0 ? file.slice(nm + "/node_modules/".length) : file;
  for (const dir of ["/packages/", "/apps/", "/tools/"]) {
    const i = short.indexOf(dir);
    if (nm < 0 && i >= 0) short = short.slice(i + 1);
  }
  return `${short}:${lineNumber + 1}`;
}

/** Sums self time per function and per package; `top` rows of functions. */
export function summarizeCpuProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples !== undefined && timeDeltas !== undefined && samples.length > 0) {
    // timeDeltas[i] is the gap before sample i; it is the time the previous sample's frame was on top.
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i]!;
      selfUs.set(id, (selfUs.get(id) ?? 0) + (timeDeltas[i + 1] ?? 0));
    }
  } else {
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * 1_000);
  }
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const pkgs = new Map<string, number>();
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (us === 0 || functionName === "(idle)") continue;
    busyUs += us;
    const name = functionName === "" ? "(anonymous)" : functionName;
    const where = whereOf(url, lineNumber);
    const key = `${name} ${where}`;
    const row = fns.get(key) ?? { name, where, us: 0 };
    row.us += us;
    fns.set(key, row);
    const pkg = packageOf(url, name);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const pct = (us: number): number => (busyUs === 0 ? 0 : (us / busyUs) * 100);
  return {
    busyMs: busyUs / 1_000,
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((r) => ({ name: r.name, where: r.where, selfMs: r.us / 1_000, percent: pct(r.us) })),
    byPackage: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, where: "", selfMs: us / 1_000, percent: pct(us) })),
  };
}
