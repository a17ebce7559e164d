/**
 * A Bloom filter of the request ids in one index segment: 10 bits per line and 7 probes, so a
 * request-id query reads only the segments that may hold the id (about 1 in 100 false positives)
 * instead of every row, at 1.25 bytes per line instead of a second B-tree of ids. An id is reduced to
 * two 32-bit hashes (the probes are their combinations): a UUID's own random bytes, else FNV-1a.
 */
const BITS_PER_LINE = 10;
const PROBES = 7;

/** Bytes of the filter for a segment of `lines` lines. @internal */
export function bloomBytes(lines: number): number {
  return Math.max(64, Math.ceil((lines * BITS_PER_LINE) / 8));
}

/** The two hashes of a UUID held as 16 bytes at `bytes[offset]`. @internal */
export function uuidHashA(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) ^ ((bytes[offset + 12]! << 24) | (bytes[offset + 13]! << 16) | (bytes[offset + 14]! << 8) | bytes[offset + 15]!);
}

/** @internal */
export function uuidHashB(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 10]! << 8) | bytes[offset + 11]!) | 1;
}

/** FNV-1a of an id that is not a UUID, with two seeds. @internal */
export function textHashA(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h;
}

/** @internal */
export function textHashB(id: string): number {
  let h = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    h = Math.imul(h ^ id.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h | 1;
}

/** Adds an id (by its two hashes) to the filter. @internal */
export function bloomAdd(bloom: Uint8Array, a: number, b: number): void {
  const bits = bloom.length * 8;
  for (let i = 0; i < PROBES; i++) {
    const at = ((a + Math.imul(i, b)) >>> 0) % bits;
    bloom[at >>> 3]! |= 1 << (at & 7);
  }
}

/** False when the id (by its two hashes) is certainly not in the segment. @internal */
export function bloomHas(bloom: Uint8Array, a: number, b: number): boolean {
  const bits = bloom.length * 8;
  for (let i = 0; i < PROBES; i++) {
    const at = ((a + Math.imul(i, b)) >>> 0) % bits;
    if ((bloom[at >>> 3]! & (1 << (at & 7))) === 0) return false;
  }
  return true;
}
