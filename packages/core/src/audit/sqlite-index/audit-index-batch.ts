import { textHashA, textHashB, uuidHashA, uuidHashB } from "./audit-bloom.js";
import type { AuditDictionary } from "./audit-dictionary.js";
import { F, type LineFields } from "./audit-line-fields.js";
import { RECORD_BYTES, runTrailer, writeRun } from "./audit-run.js";

/** Whether `s[start, end)` is a lowercase UUID, the form stored as 16 bytes. */
export function isUuidAt(s: string, start: number, end: number): boolean {
  if (end - start !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(start + i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) {
      return false;
    }
  }
  return true;
}

const hexValue = (c: number): number => (c <= 0x39 ? c - 0x30 : c - 0x57);

/** Writes the 16 bytes of the UUID at `s[start]` to `out[offset]`. */
export function uuidBytes(s: string, start: number, out: Uint8Array, offset: number): void {
  let o = offset;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i++;
    out[o++] = (hexValue(s.charCodeAt(start + i)) << 4) | hexValue(s.charCodeAt(start + i + 1));
  }
}

/** Lines of one file waiting to be written into its open segment, column by column. @internal */
export class SegmentBatch {
  size = 0;
  readonly loc: Int32Array;
  readonly org: Int32Array;
  readonly combo: Int32Array;
  readonly ts: Float64Array;
  /** Latency in hundredths, NaN when that does not fit an i32 exactly (then it is in `extra`). */
  readonly lat: Float64Array;
  /** Request ids that are UUIDs, 16 bytes each; the others are in `ridText`. */
  readonly rid: Uint8Array;
  readonly ridA: Int32Array;
  readonly ridB: Int32Array;
  ridText = new Map<number, string>();
  /** What the integer columns cannot give back exactly, as JSON, by row. */
  extra = new Map<number, string>();

  constructor(capacity: number) {
    this.loc = new Int32Array(capacity);
    this.org = new Int32Array(capacity);
    this.combo = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.lat = new Float64Array(capacity);
    this.rid = new Uint8Array(capacity * 16);
    this.ridA = new Int32Array(capacity);
    this.ridB = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
    if (this.ridText.size > 0) this.ridText = new Map();
    if (this.extra.size > 0) this.extra = new Map();
  }

  /** Adds a scanned line, with the ids `dict` gives its strings. */
  stage(f: LineFields, dict: AuditDictionary): void {
    const i = this.size++;
    const { src, at } = f;
    this.loc[i] = dict.loc(f);
    this.org[i] = dict.org;
    this.combo[i] = dict.combo(f);
    this.ts[i] = f.ts;
    // Hundredths that fit an i32 (a run stores 4 bytes); anything else goes to `extra`.
    const lat = f.latCenti >= -0x7fffffff && f.latCenti <= 0x7fffffff ? f.latCenti : Number.NaN;
    this.lat[i] = lat;
    const rs = at[F.RidStart]!;
    const re = at[F.RidStart + 1]!;
    if (isUuidAt(src, rs, re)) {
      uuidBytes(src, rs, this.rid, i * 16);
      this.ridA[i] = uuidHashA(this.rid, i * 16);
      this.ridB[i] = uuidHashB(this.rid, i * 16);
    } else {
      const rid = src.slice(rs, re);
      this.ridText.set(i, rid);
      this.ridA[i] = textHashA(rid);
      this.ridB[i] = textHashB(rid);
    }
    if (!f.tsCanonical || Number.isNaN(lat)) {
      const ts = f.tsCanonical ? undefined : src.slice(at[F.TsStart], at[F.TsStart + 1]);
      this.extra.set(i, JSON.stringify({ ts, lat: Number.isNaN(lat) ? f.lat : undefined }));
    }
  }
}

/**
 * A batch packed for writing (and for the trip from a worker thread: only array buffers): one run
 * per location, all runs' blobs in one buffer, and the Bloom hashes of the request ids.
 * @internal
 */
export interface EncodedBatch {
  /** Lines in the batch. */
  n: number;
  /** Line number (k) of the batch's first line in its segment: the rows the segment already holds. */
  base: number;
  /** Per run, 7 numbers: location id, k0, min ts, max ts, records, offset and length in `data`. */
  runs: Float64Array;
  data: ArrayBuffer;
  ridA: Int32Array;
  ridB: Int32Array;
}

/** Counting sort by location id, in line order within one: the key order, nearly. */
function orderByLocation(loc: Int32Array, n: number): Int32Array {
  let max = 0;
  for (let i = 0; i < n; i++) if (loc[i]! > max) max = loc[i]!;
  const start = new Int32Array(max + 2);
  for (let i = 0; i < n; i++) start[loc[i]! + 1]!++;
  for (let i = 1; i < start.length; i++) start[i]! += start[i - 1]!;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[loc[i]!]!++] = i;
  return order;
}

/** Packs the batch's lines, which follow `base` lines already in their segment. @internal */
export function encodeBatch(batch: SegmentBatch, base: number): EncodedBatch {
  const n = batch.size;
  const order = orderByLocation(batch.loc, n);
  const groups: number[] = []; // start, end pairs in `order`
  for (let j = 0; j < n; ) {
    const loc = batch.loc[order[j]!]!;
    let end = j + 1;
    while (end < n && batch.loc[order[end]!] === loc) end++;
    groups.push(j, end);
    j = end;
  }
  const trailers: (Uint8Array | undefined)[] = [];
  let size = 0;
  for (let g = 0; g < groups.length; g += 2) {
    const text = runTrailer(batch, order, groups[g]!, groups[g + 1]!);
    const trailer = text === undefined ? undefined : Buffer.from(text);
    trailers.push(trailer);
    size += align8((groups[g + 1]! - groups[g]!) * RECORD_BYTES + (trailer?.length ?? 0));
  }
  const data = new ArrayBuffer(size);
  const runs = new Float64Array((groups.length / 2) * 7);
  let offset = 0;
  for (let g = 0, r = 0; g < groups.length; g += 2, r += 7) {
    const from = groups[g]!;
    const to = groups[g + 1]!;
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (let j = from; j < to; j++) {
      const ts = batch.ts[order[j]!]!;
      if (ts < minTs) minTs = ts;
      if (ts > maxTs) maxTs = ts;
    }
    const length = writeRun(batch, order, from, to, base, data, offset, trailers[g / 2]);
    runs[r] = batch.loc[order[from]!]!;
    runs[r + 1] = base + order[from]!;
    runs[r + 2] = minTs;
    runs[r + 3] = maxTs;
    runs[r + 4] = to - from;
    runs[r + 5] = offset;
    runs[r + 6] = length;
    offset += align8(length);
  }
  return { n, base, runs, data, ridA: batch.ridA.slice(0, n), ridB: batch.ridB.slice(0, n) };
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
