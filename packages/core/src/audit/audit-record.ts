
/** One audit line. Never tokens, bodies, query strings or PII. */
export interface AuditRecord {
  /** ISO 8601 UTC with milliseconds. */
  ts: string;
  location_uid: string;
  org_slug: string;
  /** Route template, e.g. `/v4/contacts/{identifier}`. */
  endpoint: string;
  method: string;
  /** Upstream HTTP status; 0 when refused before sending. */
  status: number;
  request_id: string;
  latency_ms: number;
  caller?: string;
  error_code?: string;
  /**
   * `"sent"` on an intent line: written (and made durable, with `audit.fsync: always`) before a write left
   * for Podium, with status 0; the call's outcome line follows under the same request id. A query yields an
   * intent line only when no outcome line follows it (a crash in between): the outcome is unknown.
   */
  phase?: AuditPhase;
}

/** The phase of an intent line. */
export type AuditPhase = "sent";

export interface AuditQuery {
  locationUid?: string | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, exclusive. */
  until?: number | undefined;
  method?: string | undefined;
  statusClass?: "2xx" | "3xx" | "4xx" | "5xx" | undefined;
  requestId?: string | undefined;
  limit?: number | undefined;
}


const str = (v: unknown): string => JSON.stringify(typeof v === "string" ? v : "");
const num = (v: unknown): string => (typeof v === "number" && Number.isFinite(v) ? String(v) : "0");

/**
 * One audit line (with its newline): the fixed fields in their fixed order, then `caller`,
 * `error_code` and `phase` when present. Built field by field rather than by `JSON.stringify(record)`, so a property
 * the record happens to carry (a token, a body) can never reach the file, and no copy is allocated.
 * @internal
 */
export function auditLine(r: AuditRecord): string {
  let line =
    `{"ts":${str(r.ts)},"location_uid":${str(r.location_uid)},"org_slug":${str(r.org_slug)},` +
    `"endpoint":${str(r.endpoint)},"method":${str(r.method)},"status":${num(r.status)},` +
    `"request_id":${str(r.request_id)},"latency_ms":${num(r.latency_ms)}`;
  if (typeof r.caller === "string") line += `,"caller":${str(r.caller)}`;
  if (typeof r.error_code === "string") line += `,"error_code":${str(r.error_code)}`;
  if (r.phase === "sent") line += `,"phase":"sent"`;
  return `${line}}\n`;
}

/**
 * True when a parsed line has every fixed field of an audit record with the right type. Shared by the
 * query fallback (parseAuditLine) and the indexer's slow path, so both accept exactly the same lines.
 * @internal
 */
export function hasAuditRecordFields(
  o: Record<string, unknown>,
): o is Record<string, unknown> & Pick<AuditRecord, "ts" | "location_uid" | "org_slug" | "endpoint" | "method" | "status" | "request_id" | "latency_ms"> {
  return (
    typeof o.ts === "string" &&
    typeof o.location_uid === "string" &&
    typeof o.org_slug === "string" &&
    typeof o.endpoint === "string" &&
    typeof o.method === "string" &&
    typeof o.status === "number" &&
    typeof o.request_id === "string" &&
    typeof o.latency_ms === "number"
  );
}

/**
 * Parses one line back into a record of the known fields only; undefined when the line is not a
 * complete audit record (a truncated last line, a foreign line).
 * @internal
 */
export function parseAuditLine(line: string): AuditRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!hasAuditRecordFields(o)) return undefined;
  const r: AuditRecord = {
    ts: o.ts,
    location_uid: o.location_uid,
    org_slug: o.org_slug,
    endpoint: o.endpoint,
    method: o.method,
    status: o.status,
    request_id: o.request_id,
    latency_ms: o.latency_ms,
  };
  if (typeof o.caller === "string") r.caller = o.caller;
  if (typeof o.error_code === "string") r.error_code = o.error_code;
  if (o.phase === "sent") r.phase = "sent";
  return r;
}

/** A compiled AuditQuery: `needle` is a cheap substring test before parsing, `matches` the real one. @internal */
export interface AuditFilter {
  /** A text every matching line contains, if the query pins one; lines without it are skipped unparsed. */
  readonly needle: string | undefined;
  matches(r: AuditRecord): boolean;
}

/** Compiles the filters once per query, not per line. @internal */
export function compileAuditQuery(q: AuditQuery): AuditFilter {
  const { locationUid, requestId, since, until } = q;
  const method = q.method?.toUpperCase();
  const statusDigit = q.statusClass === undefined ? undefined : Number(q.statusClass[0]);
  const needle =
    requestId !== undefined
      ? `"request_id":${JSON.stringify(requestId)}`
      : locationUid !== undefined
        ? `"location_uid":${JSON.stringify(locationUid)}`
        : undefined;
  return {
    needle,
    matches(r) {
      if (locationUid !== undefined && r.location_uid !== locationUid) return false;
      if (requestId !== undefined && r.request_id !== requestId) return false;
      if (method !== undefined && r.method.toUpperCase() !== method) return false;
      if (statusDigit !== undefined && Math.floor(r.status / 100) !== statusDigit) return false;
      if (since !== undefined || until !== undefined) {
        const t = Date.parse(r.ts);
        if (!Number.isFinite(t)) return false;
        if (since !== undefined && t < since) return false;
        if (until !== undefined && t >= until) return false;
      }
      return true;
    },
  };
}
