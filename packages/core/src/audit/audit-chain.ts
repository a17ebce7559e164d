import { createHash } from "node:crypto";

/**
 * The hash the first line of a fresh audit log chains from: 64 zeros, so a verifier needs no key and no
 * state to check a log from its very first line.
 */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

/** `,"hash":"` + 64 hex digits + `"}`: the fixed tail every chained line ends with. */
const HASH_SUFFIX_LENGTH = 75;
const HASH_KEY = ',"hash":"';
const HEX64 = /^[0-9a-f]{64}$/;

/** sha256 hex over the previous line's hash and the canonical record JSON (the line without its hash). */
export function auditChainHash(prevHash: string, canonical: string): string {
  return createHash("sha256").update(prevHash).update(canonical).digest("hex");
}

/**
 * Turns a canonical record (`auditLine()` without its newline, ending in `}`) into the chained line:
 * the same fields with `"hash"` last. Returns the line (with its newline) and its hash.
 * @internal
 */
export function chainAuditLine(prevHash: string, canonical: string): { line: string; hash: string } {
  const hash = auditChainHash(prevHash, canonical);
  return { line: `${canonical.slice(0, -1)}${HASH_KEY}${hash}"}\n`, hash };
}

/**
 * Splits a chained line (without its newline) into the canonical record it was hashed over and the hash
 * it carries; undefined when the line does not end with a well-formed `"hash"` field.
 * @internal
 */
export function splitChainedLine(line: string): { canonical: string; hash: string } | undefined {
  const at = line.length - HASH_SUFFIX_LENGTH;
  if (at < 1 || !line.startsWith(HASH_KEY, at) || !line.endsWith('"}')) return undefined;
  const hash = line.slice(at + HASH_KEY.length, line.length - 2);
  if (!HEX64.test(hash)) return undefined;
  return { canonical: `${line.slice(0, at)}}`, hash };
}
