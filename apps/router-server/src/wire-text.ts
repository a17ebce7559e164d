import { isRequestId } from "@podium-router/core";

/**
 * Bounded, printable text for what goes on the wire in an error: grpc-message, the Connect error
 * message, and the ErrorDetail's fields. A caller's value can be anything up to the request size
 * limit; an error quotes at most a short, sanitised prefix of it, so trailers stay far below every
 * client's header limit (grpc-js and grpcio refuse trailers over 8 KiB and report RESOURCE_EXHAUSTED or
 * INTERNAL instead of the refusal).
 */

/** The longest prefix of a bad value an error quotes. */
export const QUOTED_PREFIX_CHARS = 32;
/**
 * The largest error message, in UTF-8 bytes. Over gRPC it travels twice (grpc-message, percent-encoded,
 * and inside grpc-status-details-bin), so 512 keeps both together under 4 KiB even if every byte is escaped.
 */
export const MAX_ERROR_MESSAGE_BYTES = 512;
/** A run of characters without a space longer than this is cut: no word of ours is that long, a pasted value is. */
const MAX_RUN_CHARS = 96;

// C0 and C1 controls, DEL, zero-width and bidirectional controls, line and paragraph separators, BOM:
// they rewrite what a terminal or log viewer shows, so a quoted value never carries them.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;
// A surrogate without its pair: not text at all, and encodeURI (grpc-js's grpc-message) throws on it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN_CHARS + 1},}`, "g");

/** True when `value` follows the core's id rule (`ids.ts`; request ids and location uids share its characters). */
export function followsIdRule(value: string): boolean {
  return isRequestId(value);
}

/** True when `value` has no control, bidi or zero-width character and no unpaired surrogate. */
export function isPrintable(value: string): boolean {
  // The global regexes keep state between test() calls; search() does not.
  return value.search(UNPRINTABLE) === -1 && value.search(LONE_SURROGATE) === -1;
}

/** Printable ASCII only (anything else becomes "?"), at most {@link QUOTED_PREFIX_CHARS} characters, "…" when cut. */
export function valuePrefix(value: string): string {
  const head = value.slice(0, QUOTED_PREFIX_CHARS).replace(NOT_PRINTABLE_ASCII, "?");
  return value.length > QUOTED_PREFIX_CHARS ? `${head}…` : head;
}

/** How an error message quotes a caller's bad value: a short, sanitised prefix and the full length. */
export function quoteValue(value: string): string {
  const quoted = JSON.stringify(valuePrefix(value));
  return value.length > QUOTED_PREFIX_CHARS ? `${quoted} (${value.length} characters)` : quoted;
}

/** An id for an ErrorDetail field: unchanged when it follows the id rule, else its sanitised prefix. */
export function wireId(value: string | undefined): string {
  if (value === undefined || value === "") return "";
  return followsIdRule(value) ? value : valuePrefix(value);
}

/**
 * Bounds an error message: each long one of `callerValues` that breaks the id rule is replaced by its quote,
 * unprintable characters and lone surrogates become "?", over-long runs are cut, and the whole is cut
 * to {@link MAX_ERROR_MESSAGE_BYTES}. Idempotent, so a message bounded twice reads the same.
 */
export function boundMessage(message: string, callerValues: readonly (string | undefined)[] = []): string {
  let text = message;
  for (const value of callerValues) {
    // A short value only loses its unprintable characters (below); quoting it everywhere would mangle words.
    if (value === undefined || value.length <= QUOTED_PREFIX_CHARS || followsIdRule(value) || !text.includes(value)) continue;
    text = text.split(value).join(quoteValue(value));
  }
  // Lone surrogates last: cutting a run can split a pair.
  text = text.replace(UNPRINTABLE, "?").replace(LONG_RUN, (run) => `${run.slice(0, MAX_RUN_CHARS - 1)}…`).replace(LONE_SURROGATE, "?");
  if (Buffer.byteLength(text, "utf8") <= MAX_ERROR_MESSAGE_BYTES) return text;
  // Cut by bytes, then drop a character split in half (it decodes to U+FFFD).
  const cut = Buffer.from(text, "utf8").subarray(0, MAX_ERROR_MESSAGE_BYTES - 3).toString("utf8").replace(/\ufffd$/, "");
  return `${cut}…`;
}

/** True when {@link boundMessage} would return `message` unchanged (no caller values to quote). */
export function isBoundedMessage(message: string): boolean {
  return boundMessage(message) === message;
}
