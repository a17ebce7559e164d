/**
 * How deeply a JSON text nests, found without parsing it and without recursion: a body nested thousands of
 * levels deep is refused by a counter before any recursive code (a parser, a serialiser, a field scan) sees
 * it, so it can never exhaust the stack.
 */

/** 64 levels: Podium's bodies nest three or four deep; the margin is for integrations' own structures. */
export const DEFAULT_MAX_BODY_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `maxDepth` objects or arrays inside one another. One pass over the
 * characters: brackets inside strings do not count (escapes included), and the text need not be valid
 * JSON (the parser judges that afterwards; unbalanced closers only lower the count).
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) {
      depth--;
    }
  }
  return false;
}
