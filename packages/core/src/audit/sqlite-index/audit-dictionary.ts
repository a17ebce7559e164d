import { FieldInterner } from "./audit-interner.js";
import { F, type LineFields } from "./audit-line-fields.js";

/** Endpoint, method, status, caller, error code and phase of a line, interned together. @internal */
export interface Combo {
  endpoint: string;
  method: string;
  status: number;
  caller: string | null;
  error_code: string | null;
  /** "sent" for an intent line. */
  phase: string | null;
}

/** Kinds of `strs` rows. @internal */
export const KIND_LOC = 0;
export const KIND_ORG = 1;

/**
 * A copy of `s[start, end)` that does not keep `s` alive: a plain slice of a long string is a view
 * into it, and an interned location would pin the whole chunk of text it was read from.
 */
function detach(s: string, start: number, end: number): string {
  return ` ${s.slice(start, end)}`.slice(1);
}

const comboKey = (c: Combo): string => JSON.stringify([c.endpoint, c.method, c.status, c.caller, c.error_code, c.phase]);

/**
 * The ids the index stores instead of strings: locations and orgs (`strs`) and combos (`combos`),
 * with the rows to insert for ids made since the last `drain()`. A line from the fast path is looked
 * up by three spans of its own text, compared in place: location+org, endpoint+method+status, and
 * caller+error code+phase; only a span not seen before costs strings and a canonical lookup.
 * @internal
 */
export class AuditDictionary {
  readonly strs = new Map<number, string>();
  readonly combos = new Map<number, Combo>();
  #locs = new FieldInterner();
  #orgs = new FieldInterner();
  #combosByKey = new Map<string, number>();
  /** Fast-path spans → small indexes, and what they stand for. */
  #locOrgSpans = new FieldInterner();
  #locOrgPairs: number[] = [];
  #aSpans = new FieldInterner();
  #aParts: [string, string, number][] = [];
  #bSpans = new FieldInterner();
  #bParts: [string | null, string | null, string | null][] = [];
  #comboByAB = new Map<number, number>();
  #nextStr = 1;
  #nextCombo = 1;
  #newStrs: [number, number, string][] = [];
  #newCombos: [number, Combo][] = [];
  /** The org id found with the last location (loc() sets it). */
  org = 0;

  /** Adds rows read from the database. */
  load(strs: Iterable<{ id: number; kind: number; s: string }>, combos: Iterable<Combo & { id: number }>): void {
    for (const r of strs) {
      (r.kind === KIND_LOC ? this.#locs : this.#orgs).add(r.s, r.id);
      this.strs.set(r.id, r.s);
      this.#nextStr = Math.max(this.#nextStr, r.id + 1);
    }
    for (const { id, ...combo } of combos) {
      this.#combosByKey.set(comboKey(combo), id);
      this.combos.set(id, combo);
      this.#nextCombo = Math.max(this.#nextCombo, id + 1);
    }
  }

  /** Ids another dictionary made (a worker thread's, which started from this one's state). */
  learn(made: { strs: [number, number, string][]; combos: [number, Combo][] }): void {
    this.load(
      made.strs.map(([id, kind, s]) => ({ id, kind, s })),
      made.combos.map(([id, c]) => ({ id, ...c })),
    );
  }

  /** Everything, for a worker thread's dictionary to start from. */
  snapshot(): { strs: [number, number, string][]; combos: [number, Combo][] } {
    const strs: [number, number, string][] = [];
    for (const [id, s] of this.strs) strs.push([id, this.#locs.find(s, 0, s.length, FieldInterner.hash(s, 0, s.length)) === id ? KIND_LOC : KIND_ORG, s]);
    return { strs, combos: [...this.combos] };
  }

  /** The rows to insert for ids made since the last call. */
  drain(): { strs: [number, number, string][]; combos: [number, Combo][] } {
    const out = { strs: this.#newStrs, combos: this.#newCombos };
    this.#newStrs = [];
    this.#newCombos = [];
    return out;
  }

  locId(uid: string): number | undefined {
    const id = this.#locs.find(uid, 0, uid.length, FieldInterner.hash(uid, 0, uid.length));
    return id === -1 ? undefined : id;
  }

  /** The location id of a scanned line; sets `org` to its org id. */
  loc(f: LineFields): number {
    const { src, at } = f;
    if (f.fast) {
      const s = at[F.LocStart]!;
      const e = at[F.OrgStart + 1]!;
      const pair = this.#locOrgSpans.find(src, s, e, FieldInterner.hash(src, s, e));
      if (pair !== -1) {
        this.org = this.#locOrgPairs[2 * pair + 1]!;
        return this.#locOrgPairs[2 * pair]!;
      }
      const loc = this.#str(this.#locs, KIND_LOC, src, at[F.LocStart]!, at[F.LocStart + 1]!);
      this.org = this.#str(this.#orgs, KIND_ORG, src, at[F.OrgStart]!, at[F.OrgStart + 1]!);
      this.#locOrgSpans.add(detach(src, s, e), this.#locOrgPairs.length / 2);
      this.#locOrgPairs.push(loc, this.org);
      return loc;
    }
    this.org = this.#str(this.#orgs, KIND_ORG, src, at[F.OrgStart]!, at[F.OrgStart + 1]!);
    return this.#str(this.#locs, KIND_LOC, src, at[F.LocStart]!, at[F.LocStart + 1]!);
  }

  #str(table: FieldInterner, kind: number, s: string, start: number, end: number): number {
    let id = table.find(s, start, end, FieldInterner.hash(s, start, end));
    if (id === -1) {
      id = this.#nextStr++;
      const str = detach(s, start, end);
      table.add(str, id);
      this.strs.set(id, str);
      this.#newStrs.push([id, kind, str]);
    }
    return id;
  }

  /** The combo id of a scanned line. */
  combo(f: LineFields): number {
    const { src, at } = f;
    if (!f.fast) return this.#canonical(this.#parts(f));
    const aStart = at[F.EpStart]!;
    const aEnd = f.spanAEnd;
    let a = this.#aSpans.find(src, aStart, aEnd, FieldInterner.hash(src, aStart, aEnd));
    if (a === -1) {
      a = this.#aParts.length;
      this.#aSpans.add(detach(src, aStart, aEnd), a);
      this.#aParts.push([detach(src, at[F.EpStart]!, at[F.EpStart + 1]!), detach(src, at[F.MethodStart]!, at[F.MethodStart + 1]!), f.status]);
    }
    const bStart = f.spanBStart;
    const bEnd = f.spanBEnd;
    let b = this.#bSpans.find(src, bStart, bEnd, FieldInterner.hash(src, bStart, bEnd));
    if (b === -1) {
      b = this.#bParts.length;
      this.#bSpans.add(detach(src, bStart, bEnd), b);
      const text = (k: number): string | null => (at[k]! < 0 ? null : detach(src, at[k]!, at[k + 1]!));
      this.#bParts.push([text(F.CallerStart), text(F.ErrStart), text(F.PhaseStart)]);
    }
    const key = a * 0x200000 + b;
    let id = this.#comboByAB.get(key);
    if (id === undefined) {
      const [endpoint, method, status] = this.#aParts[a]!;
      const [caller, error_code, phase] = this.#bParts[b]!;
      id = this.#canonical({ endpoint, method, status, caller, error_code, phase });
      this.#comboByAB.set(key, id);
    }
    return id;
  }

  #parts(f: LineFields): Combo {
    const { src, at } = f;
    const text = (k: number): string | null => (at[k]! < 0 ? null : detach(src, at[k]!, at[k + 1]!));
    return { endpoint: text(F.EpStart)!, method: text(F.MethodStart)!, status: f.status, caller: text(F.CallerStart), error_code: text(F.ErrStart), phase: text(F.PhaseStart) };
  }

  #canonical(c: Combo): number {
    const key = comboKey(c);
    let id = this.#combosByKey.get(key);
    if (id === undefined) {
      id = this.#nextCombo++;
      this.#combosByKey.set(key, id);
      this.combos.set(id, c);
      this.#newCombos.push([id, c]);
    }
    return id;
  }
}
