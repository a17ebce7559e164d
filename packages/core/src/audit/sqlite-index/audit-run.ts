/**
 * A run: the records of one location in one flush of one index segment, packed into one blob, so the
 * index writes one SQLite row per location and segment instead of one per line (inserts are what an
 * index build spends its time on) and a one-location query reads a few rows per segment.
 *
 * A run of n records is column blocks in platform byte order (little-endian wherever Node runs):
 * ts f64[n] | k u32[n] (line number in the segment) | org u32[n] | combo u32[n] | latency i32[n]
 * (hundredths; NO_LAT = in the trailer) | flags u8[n] | request id 16 bytes × n (a UUID; zeros when the
 * id is text). When a flag is set, a JSON trailer after the blocks holds `[[j, ridText|null, extra|null], …]`.
 * @internal
 */
export const RECORD_BYTES = 41;
/** The latency does not fit in hundredths (see the trailer's extra). @internal */
export const NO_LAT = -0x80000000;
const FLAG_RID_TEXT = 1;
const FLAG_EXTRA = 2;

/** One record of a run, as the query reads it back. @internal */
export interface RunRecord {
  ts: number;
  k: number;
  org: number;
  combo: number;
  /** Hundredths, or NO_LAT (then `extra` has it). */
  lat: number;
  /** The request id's 16 bytes, or undefined when `ridText` holds it. */
  rid: Uint8Array | undefined;
  ridText: string | undefined;
  /** `{ ts?, lat? }` as JSON, when the integers cannot give the record back exactly. */
  extra: string | undefined;
}

/** What encodeRun() reads each record from: the columns of a batch. @internal */
export interface RunSource {
  ts: Float64Array;
  org: Int32Array;
  combo: Int32Array;
  /** Hundredths within the i32 range, or NaN (then `extra` has the latency). */
  lat: Float64Array;
  rid: Uint8Array;
  ridText: Map<number, string>;
  extra: Map<number, string>;
}

/** The JSON trailer of rows `order[from, to)` (their text request ids and extras), if any has one. @internal */
export function runTrailer(src: RunSource, order: Int32Array, from: number, to: number): string | undefined {
  let trailer: [number, string | null, string | null][] | undefined;
  if (src.ridText.size === 0 && src.extra.size === 0) return undefined;
  for (let j = 0; j < to - from; j++) {
    const i = order[from + j]!;
    const text = src.ridText.get(i);
    const extra = src.extra.get(i);
    if (text !== undefined || extra !== undefined) (trailer ??= []).push([j, text ?? null, extra ?? null]);
  }
  return trailer === undefined ? undefined : JSON.stringify(trailer);
}

/**
 * Packs rows `order[from, to)` of `src` (k = base + row) into a run at `ab[offset]` (8-aligned), with
 * the trailer runTrailer() gave (as UTF-8 bytes); returns the run's length in bytes.
 * @internal
 */
export function writeRun(src: RunSource, order: Int32Array, from: number, to: number, base: number, ab: ArrayBuffer, offset: number, trailer: Uint8Array | undefined): number {
  const n = to - from;
  const ts = new Float64Array(ab, offset, n);
  const k = new Uint32Array(ab, offset + 8 * n, n);
  const org = new Uint32Array(ab, offset + 12 * n, n);
  const combo = new Uint32Array(ab, offset + 16 * n, n);
  const lat = new Int32Array(ab, offset + 20 * n, n);
  const flags = new Uint8Array(ab, offset + 24 * n, n);
  const rid = new Uint8Array(ab, offset + 25 * n, 16 * n);
  const marked = src.ridText.size > 0 || src.extra.size > 0;
  for (let j = 0; j < n; j++) {
    const i = order[from + j]!;
    ts[j] = src.ts[i]!;
    k[j] = base + i;
    org[j] = src.org[i]!;
    combo[j] = src.combo[i]!;
    const l = src.lat[i]!;
    lat[j] = Number.isNaN(l) ? NO_LAT : l;
    const text = marked ? src.ridText.get(i) : undefined;
    if (text === undefined) {
      const r = i * 16;
      const o = j * 16;
      for (let b = 0; b < 16; b++) rid[o + b] = src.rid[r + b]!;
    }
    flags[j] = marked ? (text === undefined ? 0 : FLAG_RID_TEXT) | (src.extra.has(i) ? FLAG_EXTRA : 0) : 0;
  }
  if (trailer !== undefined) new Uint8Array(ab, offset + n * RECORD_BYTES, trailer.length).set(trailer);
  return n * RECORD_BYTES + (trailer?.length ?? 0);
}

/**
 * Calls `fn` for each record of a run of `n` records (the object passed is reused); with `rid`, only
 * for records with that request id (16 bytes, or text), tested before anything else is read.
 * @internal
 */
export function decodeRun(blob: Buffer, n: number, fn: (r: RunRecord) => void, rid?: Uint8Array | string): void {
  // Typed views need the blocks aligned; a blob from SQLite usually is, else it is copied.
  const data = blob.byteOffset % 8 === 0 ? blob : Buffer.from(new Uint8Array(blob));
  const ab = data.buffer;
  const o = data.byteOffset;
  const ts = new Float64Array(ab, o, n);
  const k = new Uint32Array(ab, o + 8 * n, n);
  const org = new Uint32Array(ab, o + 12 * n, n);
  const combo = new Uint32Array(ab, o + 16 * n, n);
  const lat = new Int32Array(ab, o + 20 * n, n);
  const flags = new Uint8Array(ab, o + 24 * n, n);
  const rids = new Uint8Array(ab, o + 25 * n, 16 * n);
  let texts: Map<number, [string | null, string | null]> | undefined;
  if (data.length > n * RECORD_BYTES) {
    texts = new Map();
    for (const [j, t, x] of JSON.parse(data.toString("utf8", n * RECORD_BYTES)) as [number, string | null, string | null][]) texts.set(j, [t, x]);
  }
  const r: RunRecord = { ts: 0, k: 0, org: 0, combo: 0, lat: 0, rid: undefined, ridText: undefined, extra: undefined };
  for (let j = 0; j < n; j++) {
    const f = flags[j]!;
    if (rid !== undefined && !ridMatches(rid, f, texts?.get(j)?.[0], rids, j * 16)) continue;
    r.ts = ts[j]!;
    r.k = k[j]!;
    r.org = org[j]!;
    r.combo = combo[j]!;
    r.lat = lat[j]!;
    const t = f === 0 ? undefined : texts?.get(j);
    r.ridText = f & FLAG_RID_TEXT ? (t?.[0] ?? "") : undefined;
    r.rid = r.ridText === undefined ? rids.subarray(j * 16, j * 16 + 16) : undefined;
    r.extra = f & FLAG_EXTRA ? (t?.[1] ?? undefined) : undefined;
    fn(r);
  }
}

function ridMatches(rid: Uint8Array | string, flags: number, text: string | null | undefined, rids: Uint8Array, at: number): boolean {
  if (typeof rid === "string") return (flags & FLAG_RID_TEXT) !== 0 && text === rid;
  if (flags & FLAG_RID_TEXT) return false;
  for (let b = 0; b < 16; b++) if (rids[at + b] !== rid[b]) return false;
  return true;
}
