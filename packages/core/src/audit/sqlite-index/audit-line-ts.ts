import type { LineFields } from "./audit-line-fields.js";

/** The last date part seen (as a number YYYYMMDD) and its midnight: consecutive lines share the day. */
let lastDayKey = -1;
let lastDayMs = Number.NaN;

const digit = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : Number.NaN;
};

/** Sets `out.ts`/`out.tsCanonical` from the ISO timestamp in `s[start, end)`; false when it is not a date. */
export function parseTs(s: string, start: number, end: number, out: LineFields): boolean {
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
