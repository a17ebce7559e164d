/**
 * The path rules of a routed call: a normalised `/v4/...` path in printable ASCII with well-formed percent-encoding,
 * none of the spellings that slip past a normaliser (encoded dots, slashes, backslashes, double encoding, encoded
 * unreserved characters), no empty, `.` or `..` segment.
 */

/** Longest accepted path with its query; far above any real Podium URL, low enough to bound the work. */
export const MAX_PATH_LENGTH = 2048;

const SLASH = 0x2f;
const PERCENT = 0x25;
const DOT = 0x2e;

/**
 * Splits a `/v4/...` path at the `?` after checking it in one pass: printable ASCII only, no backslash or
 * fragment, well-formed percent-encoding, and in the path part no encoded dot, slash, backslash, percent
 * (double encoding) or control character, no empty, `.` or `..` segment.
 */
export function splitPath(path: unknown, bad: (detail: string) => never): { pathname: string; search: string } {
  if (typeof path !== "string" || path === "") return bad("path is empty");
  if (path.length > MAX_PATH_LENGTH) bad(`path is longer than ${MAX_PATH_LENGTH} characters`);
  if (path.charCodeAt(0) !== SLASH) bad("path must be a /v4/... path, without a scheme or host");
  if (path.charCodeAt(1) === SLASH) bad("path must not start with // (a host)");
  let q = -1;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) bad("path has a control character, whitespace or non-ASCII character; percent-encode it");
    if (c === 0x5c) bad("path has a backslash");
    if (c === 0x23) bad("path has a # fragment");
    if (c === 0x3f && q === -1) q = i;
    if (c === PERCENT) {
      const b = hexByte(path, i + 1);
      if (b < 0) bad("path has a malformed percent-encoding");
      // Encoded separators and dots are how traversal slips past a normaliser; `%25` is double encoding.
      if (q === -1 && (b === 0x2e || b === 0x2f || b === 0x5c || b === PERCENT || b < 0x20 || b === 0x7f)) {
        bad("path has a percent-encoded dot, slash, backslash, percent sign or control character");
      }
      // `/v4/%6Cocations/…` would match no route here yet reach Podium's after its decoding: an unreserved
      // character (RFC 3986 §2.3) has one spelling, so its encoding is refused rather than decoded.
      if (q === -1 && isUnreserved(b)) bad("path has a percent-encoded letter, digit, '-', '_' or '~'; send it unencoded");
      i += 2;
    }
  }
  const pathname = q === -1 ? path : path.slice(0, q);
  if (!pathname.startsWith("/v4/")) bad("path must be under /v4/");
  // Segments checked in place (no slices: this runs on every routed call).
  let start = 1;
  for (let i = 1; i <= pathname.length; i++) {
    if (i < pathname.length && pathname.charCodeAt(i) !== SLASH) continue;
    const len = i - start;
    if (len === 0) bad("path has an empty segment (// or a trailing /)");
    if (pathname.charCodeAt(start) === DOT && (len === 1 || (len === 2 && pathname.charCodeAt(start + 1) === DOT))) bad("path has a . or .. segment");
    start = i + 1;
  }
  return { pathname, search: q === -1 || q === path.length - 1 ? "" : path.slice(q) };
}

/** The byte value of two hex digits at `i`, or -1. */
function hexByte(s: string, i: number): number {
  const hi = hexDigit(s.charCodeAt(i));
  const lo = hexDigit(s.charCodeAt(i + 1));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (the dot is refused above already). */
function isUnreserved(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x7e;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20; // ASCII lower case
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

export function decodeSegment(seg: string, bad: (detail: string) => never): string {
  if (!seg.includes("%")) return seg;
  try {
    return decodeURIComponent(seg);
  } catch {
    return bad("path has a percent-encoding that is not UTF-8");
  }
}
