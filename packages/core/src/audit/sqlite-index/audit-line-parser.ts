import { hasAuditRecordFields } from "../audit-record.js";
/**
 * Reads audit lines for the index without allocating per field: a line is scanned into positions
 * (`LineFields.at`) in a source string, so interning compares characters in place instead of slicing
 * strings. Lines as the writer writes them (fixed field order, no escapes) take a fast path of
 * substring tests; anything else is parsed as JSON, checked field by field, and its values are
 * concatenated into a new source string the positions then point into.
 */

/** Slots of `LineFields.at`: start and end of each text field in `src` (end = start + 1). @internal */
export const F = {
  TsStart: 0,
  LocStart: 2,
  OrgStart: 4,
  EpStart: 6,
  MethodStart: 8,
  RidStart: 10,
  CallerStart: 12,
  ErrStart: 14,
  PhaseStart: 16,
} as const;
/** One of the F slots. @internal */
export type FieldSlot = (typeof F)[keyof typeof F];

/** One scanned line; reused across lines, so copy what you keep. @internal */
export interface LineFields {
  /** The string the positions point into. */
  src: string;
  /** Start/end of each text field (see F); caller, error code and phase are -1 when absent. */
  readonly at: Int32Array;
  /** Epoch ms. */
  ts: number;
  /** False when `new Date(ts).toISOString()` would not give the written text back. */
  tsCanonical: boolean;
  status: number;
  lat: number;
  /** `lat` in hundredths when that is exact, else NaN. */
  latCenti: number;
  /** Fields outside the record's set (and `hash`), or known fields of the wrong type: not indexed. */
  unknownFields: number;
  /**
   * Written by the writer (fixed layout, no escapes): then `src[EpStart, spanAEnd)` is the text of
   * endpoint, method and status, and `src[spanBStart, spanBEnd)` that of caller, error code and phase, each
   * naming its fields exactly, so they can be interned whole.
   */
  fast: boolean;
  spanAEnd: number;
  spanBStart: number;
  spanBEnd: number;
}

/** Why a line is not indexed. @internal */
export type LineFault = "not JSON" | "JSON but not an audit record" | "its ts is not a date";

/** A fresh LineFields to scan into. @internal */
export function newLineFields(): LineFields {
  return { src: "", at: new Int32Array(18), ts: 0, tsCanonical: true, status: 0, lat: 0, latCenti: 0, unknownFields: 0, fast: false, spanAEnd: 0, spanBStart: 0, spanBEnd: 0 };
}

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
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
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

/** A JSON number in `line[start, end)`, or NaN; plain integers and decimals without allocating. */
function numberAt(line: string, start: number, end: number): number {
  let i = start;
  const negative = line.charCodeAt(i) === 0x2d;
  if (negative) i++;
  let int = 0;
  const intStart = i;
  while (i < end) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    int = int * 10 + d;
    i++;
  }
  const intDigits = i - intStart;
  if (i === end && intDigits > 0 && intDigits < 16 && (intDigits === 1 || line.charCodeAt(intStart) !== 0x30)) return negative ? -int : int;
  const text = line.slice(start, end);
  return JSON_NUMBER.test(text) ? Number(text) : Number.NaN;
}

/** Hundredths of a JSON decimal with at most two fraction digits, exactly, or NaN. */
function centiAt(line: string, start: number, end: number): number {
  const dot = line.indexOf(".", start);
  if (dot === -1 || dot >= end) {
    const v = numberAt(line, start, end);
    return Number.isSafeInteger(v * 100) ? v * 100 : Number.NaN;
  }
  const frac = end - dot - 1;
  if (frac < 1 || frac > 2) return Number.NaN;
  const whole = numberAt(line, start, dot);
  if (!Number.isSafeInteger(whole) || Math.abs(whole) > 1e12 || (whole === 0 && line.charCodeAt(start) === 0x2d)) return Number.NaN;
  let f = 0;
  for (let i = dot + 1; i < end; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    f = f * 10 + d;
  }
  if (frac === 1) f *= 10;
  return whole < 0 ? whole * 100 - f : whole * 100 + f;
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

/** The last date part seen (as a number YYYYMMDD) and its midnight: consecutive lines share the day. */
let lastDayKey = -1;
let lastDayMs = Number.NaN;

const digit = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : Number.NaN;
};

/** Sets `out.ts`/`out.tsCanonical` from the ISO timestamp in `s[start, end)`; false when it is not a date. */
function parseTs(s: string, start: number, end: number, out: LineFields): boolean {
  // `2026-01-01T12:34:56.789Z`, as toISOString() writes it: the date part is cached, the rest is arithmetic.
  const b = start;
  if (end - start === 24 && s.charCodeAt(b + 4) === 0x2d && s.charCodeAt(b + 7) === 0x2d && s.charCodeAt(b + 10) === 0x54 && s.charCodeAt(b + 13) === 0x3a && s.charCodeAt(b + 16) === 0x3a && s.charCodeAt(b + 19) === 0x2e && s.charCodeAt(b + 23) === 0x5a) {
    const key = ((digit(s, b) * 10 + digit(s, b + 1)) * 10 + digit(s, b + 2)) * 10 + digit(s, b + 3);
    const dayKey = key * 10000 + (digit(s, b + 5) * 10 + digit(s, b + 6)) * 100 + digit(s, b + 8) * 10 + digit(s, b + 9);
    if (dayKey !== lastDayKey && !Number.isNaN(dayKey)) {
      const prefix = s.slice(b, b + 10);
      const d = Date.parse(`${prefix}T00:00:00.000Z`);
      lastDayMs = Number.isFinite(d) && new Date(d).toISOString().startsWith(prefix) ? d : Number.NaN;
      lastDayKey = dayKey;
    }
    const hh = digit(s, b + 11) * 10 + digit(s, b + 12);
    const mm = digit(s, b + 14) * 10 + digit(s, b + 15);
    const ss = digit(s, b + 17) * 10 + digit(s, b + 18);
    const ms = digit(s, b + 20) * 100 + digit(s, b + 21) * 10 + digit(s, b + 22);
    if (dayKey === lastDayKey && !Number.isNaN(lastDayMs) && hh < 24 && mm < 60 && ss < 60 && !Number.isNaN(ms)) {
      out.ts = lastDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
      out.tsCanonical = true;
      return true;
    }
  }
  const text = s.slice(start, end);
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return false;
  out.ts = ms;
  out.tsCanonical = new Date(ms).toISOString() === text;
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
