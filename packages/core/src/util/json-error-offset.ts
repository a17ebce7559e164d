/**
 * Finds where JSON text goes wrong, so a hand-edited or truncated file can be reported by line and column.
 * JSON.parse cannot be asked: its messages vary across V8 versions, often carry no position ("Unexpected
 * token 'x', ... is not valid JSON"), and newer ones quote a snippet of the file, which may hold secrets.
 */

/** Thrown inside the scanner with the offset of the first character that cannot continue valid JSON. */
class Stop {
  constructor(readonly at: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * The offset of the first character where `text` stops being valid JSON (RFC 8259), `text.length` when it ends
 * too early, or undefined when it is valid. Used only after JSON.parse failed, so speed does not matter.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const stop = (): never => {
    throw new Stop(i);
  };
  const skipSpace = (): void => {
    while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i++;
  };
  const expect = (ch: string): void => {
    skipSpace();
    if (text[i] !== ch) stop();
    i++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < " ") stop();
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === "\\") {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) stop();
        i = ESCAPE.lastIndex;
      } else i++;
    }
  };
  const value = (): void => {
    skipSpace();
    const ch = text[i];
    if (ch === "{") {
      i++;
      skipSpace();
      if (text[i] === "}") return void i++;
      for (;;) {
        string();
        expect(":");
        value();
        skipSpace();
        if (text[i] === "}") return void i++;
        expect(",");
      }
    }
    if (ch === "[") {
      i++;
      skipSpace();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        skipSpace();
        if (text[i] === "]") return void i++;
        expect(",");
      }
    }
    if (ch === '"') return string();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) return void (i += literal.length);
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) stop();
    i = NUMBER.lastIndex;
  };
  try {
    value();
    skipSpace();
    if (i < text.length) stop();
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return Math.min(err.at, text.length);
    // Nesting deep enough to overflow the stack: the position is unknown, report the start.
    if (err instanceof RangeError) return 0;
    throw err;
  }
}
