/**
 * Why the chain breaks at a line. A hash chain proves that no line changed, appeared or vanished, but it
 * cannot always say which: a line whose text was changed and a line whose predecessor was removed look
 * the same (the line does not chain from the one before it; the next line chains from it). Inside a
 * file that is reported as `edited`, at the first line of a file as `deleted` (lines lost between two
 * files: a removed rotated file, or lines lost to logrotate's copytruncate).
 * - `edited`: the line does not match its hash, and the next line still chains from it.
 * - `inserted`: the line is not in the chain: the next line chains from the line before it.
 * - `deleted`: the first line of a file does not chain from the last line of the file before.
 * - `malformed`: the line is not a chained audit record (not JSON, or no `"hash"` at its end).
 * With anchors and a checkpoint (audit-checkpoints.ts) also:
 * - `deleted` at the first kept line: it is not where an anchor says the kept trail starts;
 * - `missing`: the line the last checkpoint recorded is not in the log (lines cut from the end, or the chain
 *   rewritten after it);
 * - `forged`: an anchor or checkpoint does not carry the HMAC of the configured key (made without it).
 */
export type AuditChainBreak = "edited" | "inserted" | "deleted" | "malformed" | "missing" | "forged";

/** The outcome of verifyAuditChain(). */
export type AuditVerifyResult =
  | {
      ok: true;
      /** Files read, and the lines in them that chain. */
      files: number;
      lines: number;
      /** The hash of the last line: keep it elsewhere to prove later that no line was cut from the end. */
      lastHash: string | undefined;
      /**
       * True when the first line chains from the genesis hash (the log is whole from its start); false
       * when it chains from a line no longer kept (retention or logrotate removed older files).
       */
      fromGenesis: boolean;
      /** Last lines cut short by an interrupted write (no newline): not records, not a break. */
      cutLines: { file: string; line: number }[];
      /** The files read, in order. */
      paths: string[];
      /** The first line chains from an anchor (older files were removed, and that was recorded). */
      anchored: boolean;
      /** The last checkpoint, when there was one: its time, and the lines the log holds after it. */
      checkpoint: { ts: string; linesAfter: number } | undefined;
      /** Request ids of intent lines that no outcome line follows: the write's outcome is unknown. */
      outcomeUnknown: string[];
    }
  | {
      ok: false;
      /** The first broken line: its file, and its 1-based line number in that file (decompressed). */
      file: string;
      line: number;
      reason: AuditChainBreak;
      message: string;
      /** Lines that chained before it. */
      lines: number;
    };
