/**
 * String → id lookups that take the text as a range of a longer string (a line), so the index finds
 * a location uid or an endpoint without slicing a new string per line: an open-addressing table of
 * FNV-1a hashes whose hits are confirmed in place. Ids are chosen by the caller.
 * @internal
 */
export class FieldInterner {
  #slots = new Int32Array(1024);
  #keys: string[] = [];
  #hashes: number[] = [];
  #ids: number[] = [];

  get size(): number {
    return this.#keys.length;
  }

  /**
   * FNV-1a of `s[start, end)`: of all of it up to 24 characters, else of its length and its first and
   * last 12 (ids differ there; a collision only costs one more comparison).
   */
  static hash(s: string, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    if (end - start <= 24) {
      for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    } else {
      for (let i = start; i < start + 12; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      for (let i = end - 12; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    }
    return h >>> 0;
  }

  /** The id of `s[start, end)` (whose hash is `h`), or -1. */
  find(s: string, start: number, end: number, h: number): number {
    const mask = this.#slots.length - 1;
    const len = end - start;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = this.#slots[slot]!;
      if (e === 0) return -1;
      if (this.#hashes[e - 1] !== h) continue;
      const key = this.#keys[e - 1]!;
      // lastIndexOf from `start` checks `start` first: a match costs one comparison, done natively (far
      // cheaper than startsWith or a charCodeAt loop); only a hash collision scans backwards.
      if (key.length === len && s.lastIndexOf(key, start) === start) return this.#ids[e - 1]!;
    }
  }

  /** Adds `key` (not present) with `id`. */
  add(key: string, id: number): void {
    if ((this.#keys.length + 1) * 2 > this.#slots.length) this.#grow();
    const h = FieldInterner.hash(key, 0, key.length);
    this.#keys.push(key);
    this.#hashes.push(h);
    this.#ids.push(id);
    this.#place(this.#keys.length, h);
  }

  #place(entry: number, h: number): void {
    const mask = this.#slots.length - 1;
    let slot = h & mask;
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = entry;
  }

  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2);
    for (let e = 1; e <= this.#keys.length; e++) this.#place(e, this.#hashes[e - 1]!);
  }
}
