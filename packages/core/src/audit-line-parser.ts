/** One audit line as the index stores it. Reused across lines by the parser, so copy what you keep. @internal */
export interface IndexedLine {
  /** Epoch ms. */
  ts: number;
  /** The `ts` text as written, when `new Date(ts).toISOString()` would not give it back; else undefined. */
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
  /** Fields outside the record's set (and `hash`), or known fields of the wrong type; they are not indexed. */
  unknownFields: number;
}

/** Why a line is not indexed. @internal */
export type LineFault = "not JSON" | "JSON but not an audit record" | "its ts is not a date";

/** A fresh IndexedLine to parse into. @internal */
export function newIndexedLine(): IndexedLine {
  return { ts: 0, tsText: undefined, loc: "", org: "", endpoint: "", method: "", status: 0, rid: "", lat: 0, caller: undefined, err: undefined, unknownFields: 0 };
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
const P_HASH = ',"hash":"';
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const KNOWN = new Set(["ts", "location_uid", "org_slug", "endpoint", "method", "status", "request_id", "latency_ms", "caller", "error_code", "hash"]);

/**
 * Parses one line (without its newline) into `out`; returns why it is not a record, or undefined.
 * Lines as the writer writes them (fixed field order, no escapes) take a fast path of substring
 * tests; anything else is parsed as JSON and checked field by field.
 * @internal
 */
export function parseIndexedLine(line: string, out: IndexedLine): LineFault | undefined {
  out.unknownFields = 0;
  if (!parseFast(line, out) && !parseSlow(line, out)) return isJson(line) ? "JSON but not an audit record" : "not JSON";
  const ts = parseTs(out.tsText!);
  if (ts === undefined) return "its ts is not a date";
  out.ts = ts.ms;
  if (ts.canonical) out.tsText = undefined;
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

const num = (s: string): number => (JSON_NUMBER.test(s) ? Number(s) : Number.NaN);

/** The writer's own layout: each field found where it must be, strings without escapes. */
function parseFast(line: string, out: IndexedLine): boolean {
  if (line.charCodeAt(line.length - 1) !== 0x7d || !line.startsWith(P_TS) || line.includes("\\")) return false;
  let i = P_TS.length;
  let j = line.indexOf('"', i);
  if (j === -1) return false;
  out.tsText = line.slice(i, j);
  const str = (prefix: string): string | undefined => {
    if (!line.startsWith(prefix, j)) return undefined;
    i = j + prefix.length;
    j = line.indexOf('"', i);
    return j === -1 ? undefined : line.slice(i, j);
  };
  const loc = str(P_LOC);
  const org = loc === undefined ? undefined : str(P_ORG);
  const endpoint = org === undefined ? undefined : str(P_EP);
  const method = endpoint === undefined ? undefined : str(P_METHOD);
  if (method === undefined || !line.startsWith(P_STATUS, j)) return false;
  i = j + P_STATUS.length;
  j = line.indexOf(",", i);
  if (j === -1) return false;
  const status = num(line.slice(i, j));
  const rid = str(P_RID);
  if (rid === undefined || Number.isNaN(status) || !line.startsWith(P_LAT, j)) return false;
  i = j + P_LAT.length;
  j = i;
  while (j < line.length && line.charCodeAt(j) !== 0x2c && line.charCodeAt(j) !== 0x7d) j++;
  const lat = num(line.slice(i, j));
  if (Number.isNaN(lat)) return false;
  let caller: string | undefined;
  let err: string | undefined;
  if (line.startsWith(P_CALLER, j)) {
    caller = str(P_CALLER);
    if (caller === undefined) return false;
    j++;
  }
  if (line.startsWith(P_ERR, j)) {
    err = str(P_ERR);
    if (err === undefined) return false;
    j++;
  }
  if (line.startsWith(P_HASH, j)) {
    if (str(P_HASH) === undefined) return false;
    j++;
  }
  if (j !== line.length - 1) return false;
  out.loc = loc!;
  out.org = org!;
  out.endpoint = endpoint!;
  out.method = method;
  out.status = status;
  out.rid = rid;
  out.lat = lat;
  out.caller = caller;
  out.err = err;
  return true;
}

/** Any other JSON object with the record's fields; other fields are counted, not kept. */
function parseSlow(line: string, out: IndexedLine): boolean {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (
    typeof o.ts !== "string" ||
    typeof o.location_uid !== "string" ||
    typeof o.org_slug !== "string" ||
    typeof o.endpoint !== "string" ||
    typeof o.method !== "string" ||
    typeof o.status !== "number" ||
    typeof o.request_id !== "string" ||
    typeof o.latency_ms !== "number"
  ) {
    return false;
  }
  let unknown = 0;
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) unknown++;
  if (o.caller !== undefined && typeof o.caller !== "string") unknown++;
  if (o.error_code !== undefined && typeof o.error_code !== "string") unknown++;
  out.tsText = o.ts;
  out.loc = o.location_uid;
  out.org = o.org_slug;
  out.endpoint = o.endpoint;
  out.method = o.method;
  out.status = o.status;
  out.rid = o.request_id;
  out.lat = o.latency_ms;
  out.caller = typeof o.caller === "string" ? o.caller : undefined;
  out.err = typeof o.error_code === "string" ? o.error_code : undefined;
  out.unknownFields = unknown;
  return true;
}

/** Midnight (epoch ms) of each `YYYY-MM-DD` seen, or NaN for an impossible date; bounded. */
const days = new Map<string, number>();

const digit = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : Number.NaN;
};

/** Epoch ms of an ISO timestamp, and whether `toISOString()` writes it back identically. */
function parseTs(s: string): { ms: number; canonical: boolean } | undefined {
  // `2026-01-01T12:34:56.789Z`, as toISOString() writes it: the date part is cached, the rest is arithmetic.
  if (s.length === 24 && s.charCodeAt(10) === 0x54 && s.charCodeAt(13) === 0x3a && s.charCodeAt(16) === 0x3a && s.charCodeAt(19) === 0x2e && s.charCodeAt(23) === 0x5a) {
    const prefix = s.slice(0, 10);
    let day = days.get(prefix);
    if (day === undefined) {
      const d = Date.parse(`${prefix}T00:00:00.000Z`);
      day = Number.isFinite(d) && new Date(d).toISOString().startsWith(prefix) ? d : Number.NaN;
      if (days.size >= 4096) days.clear();
      days.set(prefix, day);
    }
    const hh = digit(s, 11) * 10 + digit(s, 12);
    const mm = digit(s, 14) * 10 + digit(s, 15);
    const ss = digit(s, 17) * 10 + digit(s, 18);
    const ms = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
    if (!Number.isNaN(day) && hh < 24 && mm < 60 && ss < 60 && !Number.isNaN(ms)) {
      return { ms: day + ((hh * 60 + mm) * 60 + ss) * 1000 + ms, canonical: true };
    }
  }
  const ms = Date.parse(s);
  if (!Number.isFinite(ms)) return undefined;
  return { ms, canonical: new Date(ms).toISOString() === s };
}
