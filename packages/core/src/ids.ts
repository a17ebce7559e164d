import { randomUUID } from "node:crypto";
import { BadRequestError, type CoreErrorContext } from "./errors.js";

/** Longest request id accepted; long enough for a UUID with a prefix, short enough for an audit line. */
export const MAX_REQUEST_ID_LENGTH = 128;

/** A fresh request id (a random UUID); used when the caller sends none. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * Returns `id` when it is 1–128 characters of `[A-Za-z0-9._-]`, the id the caller chose; throws
 * BadRequestError otherwise. The charset keeps ids safe in headers, logs and file names.
 */
export function validateRequestId(id: unknown, context: Pick<CoreErrorContext, "locationUid"> = {}): string {
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_REQUEST_ID_LENGTH || !isIdChars(id)) {
    throw new BadRequestError(
      { locationUid: context.locationUid },
      `request id must be 1-${MAX_REQUEST_ID_LENGTH} characters of letters, digits, ".", "_" or "-"`,
    );
  }
  return id;
}

// A char-code loop instead of a regex: no backtracking, no allocation.
function isIdChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2e || c === 0x5f || c === 0x2d; // . _ -
    if (!ok) return false;
  }
  return true;
}
