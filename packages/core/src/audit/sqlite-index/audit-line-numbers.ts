/** JSON numbers read in place from an audit line, without slicing it in the common cases. */

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** A JSON number in `line[start, end)`, or NaN; plain integers and decimals without allocating. */
export function numberAt(line: string, start: number, end: number): number {
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
export function centiAt(line: string, start: number, end: number): number {
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
