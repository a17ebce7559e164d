/**
 * Where a scanned audit line's fields are: positions (`LineFields.at`) into a source string, so the index interns
 * without allocating per field (see audit-line-parser.ts).
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
