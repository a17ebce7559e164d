import { hasAuditRecordFields } from "../audit-record.js";
import { F, type FieldSlot, type LineFault, type LineFields, newLineFields } from "./audit-line-fields.js";
import { centiAt, numberAt } from "./audit-line-numbers.js";
import { parseTs } from "./audit-line-ts.js";

/**
 * Reads audit lines for the index without allocating per field: a line is scanned into positions
 * (`LineFields.at`) in a source string, so interning compares characters in place instead of slicing
 * strings. Lines as the writer writes them (fixed field order, no escapes) take a fast path of
 * substring tests; anything else is parsed as JSON, checked field by field, and its values are
 * concatenated into a new source string the positions then point into.
 */

const P_TS = '{"ts":"';
const P_LOC = '","location_uid":"';
const P_ORG = '","org_slug":"';
const P_EP = '","endpoint":"';
const P_METHOD = '","method":"';
const P_STATUS = '","status":';
const P_RID = ',"request_id":"';
const P_LAT = '","latency_ms":';
const P_CALLER = ',"caller":"';
const P_ERR = ',"error_code":"';
const P_PHASE = ',"phase":"';
const P_HASH = ',"hash":"';
const KNOWN = new Set(["ts", "location_uid", "org_slug", "endpoint", "method", "status", "request_id", "latency_ms", "caller", "error_code", "phase", "hash"]);

/**
 * Scans one line, `text[start, end)` without its newline, into `out`; returns why it is not a record,
 * or undefined. The positions in `out` point into `text` (fast path) or into a new string (JSON path).
 * `noEscapes` says `text` has no backslash at all (so no line in it needs the JSON path for escapes).
 * @internal
 */
export function scanAuditLine(text: string, out: LineFields, start = 0, end = text.length, noEscapes = false): LineFault | undefined {
  out.unknownFields = 0;
  if (!scanFast(text, start, end, noEscapes, out)) {
    const line = text.slice(start, end);
    if (!scanSlow(line, out)) return isJson(line) ? "JSON but not an audit record" : "not JSON";
  }
  if (!parseTs(out.src, out.at[F.TsStart]!, out.at[F.TsStart + 1]!, out)) return "its ts is not a date";
  return undefined;
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** The index of the closing quote of a string starting at `from`, if `line` has `prefix` at `at`; else -1. */
function stringAfter(line: string, prefix: string, at: number): number {
  return line.startsWith(prefix, at) ? line.indexOf('"', at + prefix.length) : -1;
}

/** The writer's own layout: each field found where it must be, strings without escapes. */
function scanFast(line: string, start: number, end: number, noEscapes: boolean, out: LineFields): boolean {
  if (line.charCodeAt(end - 1) !== 0x7d || !line.startsWith(P_TS, start)) return false;
  if (!noEscapes) {
    const bs = line.indexOf("\\", start);
    if (bs !== -1 && bs < end) return false;
  }
  const at = out.at;
  at[F.TsStart] = start + P_TS.length;
  let j = line.indexOf('"', start + P_TS.length);
  if (j === -1 || j >= end) return false;
  at[F.TsStart + 1] = j;
  at[F.LocStart] = j + P_LOC.length;
  if ((j = stringAfter(line, P_LOC, j)) === -1) return false;
  at[F.LocStart + 1] = j;
  at[F.OrgStart] = j + P_ORG.length;
  if ((j = stringAfter(line, P_ORG, j)) === -1) return false;
  at[F.OrgStart + 1] = j;
  at[F.EpStart] = j + P_EP.length;
  if ((j = stringAfter(line, P_EP, j)) === -1) return false;
  at[F.EpStart + 1] = j;
  at[F.MethodStart] = j + P_METHOD.length;
  if ((j = stringAfter(line, P_METHOD, j)) === -1) return false;
  at[F.MethodStart + 1] = j;
  if (!line.startsWith(P_STATUS, j)) return false;
  const statusStart = j + P_STATUS.length;
  if ((j = line.indexOf(",", statusStart)) === -1 || j >= end) return false;
  const status = numberAt(line, statusStart, j);
  out.spanAEnd = j;
  at[F.RidStart] = j + P_RID.length;
  if (Number.isNaN(status) || (j = stringAfter(line, P_RID, j)) === -1) return false;
  at[F.RidStart + 1] = j;
  if (!line.startsWith(P_LAT, j)) return false;
  const latStart = j + P_LAT.length;
  j = latStart;
  while (j < end && line.charCodeAt(j) !== 0x2c && line.charCodeAt(j) !== 0x7d) j++;
  const latEnd = j;
  const lat = numberAt(line, latStart, latEnd);
  if (Number.isNaN(lat)) return false;
  at.fill(-1, F.CallerStart);
  out.spanBStart = j;
  if (line.startsWith(P_CALLER, j)) {
    at[F.CallerStart] = j + P_CALLER.length;
    if ((j = line.indexOf('"', j + P_CALLER.length)) === -1) return false;
    at[F.CallerStart + 1] = j++;
  }
  if (line.startsWith(P_ERR, j)) {
    at[F.ErrStart] = j + P_ERR.length;
    if ((j = line.indexOf('"', j + P_ERR.length)) === -1) return false;
    at[F.ErrStart + 1] = j++;
  }
  if (line.startsWith(P_PHASE, j)) {
    at[F.PhaseStart] = j + P_PHASE.length;
    if ((j = line.indexOf('"', j + P_PHASE.length)) === -1) return false;
    at[F.PhaseStart + 1] = j++;
  }
  out.spanBEnd = j;
  if (line.startsWith(P_HASH, j)) {
    if ((j = line.indexOf('"', j + P_HASH.length)) === -1) return false;
    j++;
  }
  // Every search above stops at the first match, so a field running past the line shows up here.
  if (j !== end - 1) return false;
  out.src = line;
  out.fast = true;
  out.status = status;
  out.lat = lat;
  out.latCenti = centiAt(line, latStart, latEnd);
  return true;
}

/** Any other JSON object with the record's fields; other fields are counted, not kept. */
function scanSlow(line: string, out: LineFields): boolean {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (!hasAuditRecordFields(o)) return false;
  let unknown = 0;
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) unknown++;
  if (o.caller !== undefined && typeof o.caller !== "string") unknown++;
  if (o.error_code !== undefined && typeof o.error_code !== "string") unknown++;
  if (o.phase !== undefined && o.phase !== "sent") unknown++;
  const parts = [
    o.ts,
    o.location_uid,
    o.org_slug,
    o.endpoint,
    o.method,
    o.request_id,
    typeof o.caller === "string" ? o.caller : undefined,
    typeof o.error_code === "string" ? o.error_code : undefined,
    o.phase === "sent" ? "sent" : undefined,
  ];
  let src = "";
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    out.at[2 * k] = p === undefined ? -1 : src.length;
    if (p !== undefined) src += p;
    out.at[2 * k + 1] = p === undefined ? -1 : src.length;
  }
  out.src = src;
  out.fast = false;
  out.status = o.status;
  out.lat = o.latency_ms;
  const centi = Math.round(o.latency_ms * 100);
  out.latCenti = centi / 100 === o.latency_ms && Number.isSafeInteger(centi) ? centi : Number.NaN;
  out.unknownFields = unknown;
  return true;
}

/** One audit line as the index stores it, as plain values (tests, and the rare slow paths). @internal */
export interface IndexedLine {
  ts: number;
  tsText: string | undefined;
  loc: string;
  org: string;
  endpoint: string;
  method: string;
  status: number;
  rid: string;
  lat: number;
  caller: string | undefined;
  err: string | undefined;
  phase: string | undefined;
  unknownFields: number;
}

/** A fresh IndexedLine to parse into. @internal */
export function newIndexedLine(): IndexedLine {
  return { ts: 0, tsText: undefined, loc: "", org: "", endpoint: "", method: "", status: 0, rid: "", lat: 0, caller: undefined, err: undefined, phase: undefined, unknownFields: 0 };
}

const scratch = newLineFields();

/** scanAuditLine() with the fields as strings. @internal */
export function parseIndexedLine(line: string, out: IndexedLine): LineFault | undefined {
  const fault = scanAuditLine(line, scratch);
  if (fault !== undefined) return fault;
  const { src, at } = scratch;
  const field = (k: FieldSlot): string | undefined => (at[k]! < 0 ? undefined : src.slice(at[k], at[k + 1]!));
  out.ts = scratch.ts;
  out.tsText = scratch.tsCanonical ? undefined : field(F.TsStart);
  out.loc = field(F.LocStart)!;
  out.org = field(F.OrgStart)!;
  out.endpoint = field(F.EpStart)!;
  out.method = field(F.MethodStart)!;
  out.status = scratch.status;
  out.rid = field(F.RidStart)!;
  out.lat = scratch.lat;
  out.caller = field(F.CallerStart);
  out.err = field(F.ErrStart);
  out.phase = field(F.PhaseStart);
  out.unknownFields = scratch.unknownFields;
  return undefined;
}
