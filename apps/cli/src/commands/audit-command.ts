import type { AuditRecord } from "@podium-router/client";
import type { AuditRecord as AuditLine } from "@podium-router/core";
import { println } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import { toCsvLine } from "../format/csv.js";
import { formatTable } from "../format/format-table.js";
import { formatTimestamp } from "../format/format-values.js";
import type { AuditFlags } from "../parse-args.js";

const columns = ["ts", "location_uid", "org_slug", "endpoint", "method", "status", "request_id", "latency_ms", "caller", "error_code", "phase"] as const;

/**
 * `podium-router audit`: streams the matching records. ndjson and csv print each record as it arrives;
 * json and table wait for the last one.
 */
export async function auditCommand(ctx: CommandContext, flags: AuditFlags): Promise<number> {
  const stream = ctx.client.queryAudit({
    locationUid: flags.locationUid ?? "",
    ...(flags.since !== undefined ? { since: timestamp(flags.since) } : {}),
    ...(flags.until !== undefined ? { until: timestamp(flags.until) } : {}),
    method: flags.method ?? "",
    statusClass: flags.statusClass ?? "",
    requestId: flags.requestId ?? "",
    limit: flags.limit ?? 0,
  });
  const out = ctx.io.stdout;
  const all: AuditLine[] = [];
  if (flags.output === "csv") println(out, toCsvLine(columns));
  for await (const { record } of stream) {
    if (record === undefined) continue;
    const line = auditLine(record);
    if (flags.output === "ndjson") println(out, JSON.stringify(line));
    else if (flags.output === "csv") println(out, toCsvLine(columns.map((c) => line[c])));
    else all.push(line);
  }
  if (flags.output === "json") println(out, JSON.stringify(all, null, 2));
  if (flags.output === "table") {
    if (all.length === 0) println(ctx.io.stderr, "no audit records match");
    else out.write(formatTable(columns.map((c) => c.toUpperCase()), all.map((l) => columns.map((c) => (c === "phase" && l.phase === "sent" ? "sent, outcome unknown" : l[c])))));
  }
  const unknown = all.filter((l) => l.phase === "sent").length;
  if (unknown > 0) println(ctx.io.stderr, `${unknown} write(s) with outcome unknown (phase "sent": sent to Podium, no answer recorded); ask Podium by request_id`);
  return exitCodes.ok;
}

/** An audit record in the audit file's own shape (snake_case keys), as json, ndjson and csv print it. */
function auditLine(r: AuditRecord): AuditLine {
  const line: AuditLine = {
    ts: formatTimestamp(r.ts),
    location_uid: r.locationUid,
    org_slug: r.orgSlug,
    endpoint: r.endpoint,
    method: r.method,
    status: r.status,
    request_id: r.requestId,
    latency_ms: r.latencyMs,
  };
  if (r.caller !== "") line.caller = r.caller;
  if (r.errorCode !== "") line.error_code = r.errorCode;
  // Only an intent line without its outcome line carries a phase: the write's outcome is unknown.
  if (r.phase === "sent") line.phase = "sent";
  return line;
}

function timestamp(ms: number): { seconds: bigint; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}
