import { AUDIT_GENESIS_HASH, auditChainHash, splitChainedLine } from "./audit-chain.js";
import type { AuditAnchor, AuditCheckpoint, AuditSeals } from "./audit-checkpoints.js";
import { OpenIntents } from "./audit-intents.js";
import type { AuditVerifyResult } from "./audit-verify-result.js";

type Broken = Extract<AuditVerifyResult, { ok: false }>;

/** A line that did not chain from the one before it, waiting for the next line to say why. */
interface Suspect {
  file: string;
  line: number;
  prev: string;
  hash: string;
  canonical: string;
  /** The line before it (it chained), and the hash that line chained from. */
  before: { file: string; line: number; prev: string } | undefined;
  /** The very first line read: it may chain from a line no longer kept. */
  first: boolean;
  /** The first line of a file after the first file. */
  fileStart: boolean;
  /** The first line read, which neither chains from genesis nor from an anchor. */
  unanchored?: boolean;
}

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** The request id of a canonical record, found without parsing it. */
function requestIdOf(canonical: string): string | undefined {
  const at = canonical.indexOf(RID_KEY);
  if (at === -1) return undefined;
  const end = canonical.indexOf('"', at + RID_KEY.length);
  return end === -1 ? undefined : canonical.slice(at + RID_KEY.length, end);
}
const RID_KEY = '"request_id":"';
const INTENT_TAIL = ',"phase":"sent"}';

/** Checks lines in order; stops at the first break. @internal */
export class AuditChainVerifier {
  readonly #anchors: readonly AuditAnchor[] | undefined;
  readonly #checkpoint: AuditCheckpoint | undefined;
  constructor(seals: AuditSeals | undefined) {
    this.#anchors = seals?.anchors;
    this.#checkpoint = seals?.checkpoint;
  }
  prev: string | undefined;
  anchored = false;
  /** Where the checkpoint's head line was found, and the lines accepted after it. */
  checkpointAt: { file: string; line: number } | undefined;
  linesAfterCheckpoint = 0;
  readonly intents = new OpenIntents<string>();

  /** A line taken into the chain. */
  #accepted(file: string, line: number, hash: string, canonical: string): void {
    if (this.checkpointAt !== undefined) this.linesAfterCheckpoint++;
    else if (hash === this.#checkpoint?.head_hash) this.checkpointAt = { file, line };
    const intent = canonical.endsWith(INTENT_TAIL);
    if (intent || this.intents.size > 0) {
      const rid = requestIdOf(canonical);
      if (rid !== undefined) this.intents.see(rid, intent, rid);
    }
  }

  /** The anchor that starts the kept trail at a line with this hash, if any. */
  #anchorFor(hash: string): AuditAnchor | undefined {
    return this.#anchors?.find((a) => a.first_hash === hash);
  }
  /** The last line that chained, and the hash it chained from. */
  #last: { file: string; line: number; prev: string } | undefined;
  lines = 0;
  fromGenesis = false;
  broken: Broken | undefined;
  #suspect: Suspect | undefined;

  line(file: string, line: number, fileStart: boolean, text: string): void {
    const split = text === "" ? undefined : splitChainedLine(text);
    const s = this.#suspect;
    this.#suspect = undefined;
    if (s?.unanchored) {
      const next = split === undefined ? undefined : this.#anchorFor(split.hash);
      if (next !== undefined && auditChainHash(next.prev_hash, split!.canonical) === split!.hash) this.#fail(s.file, s.line, "inserted", "is not part of the chain: the line after it is where an anchor says the kept trail starts");
      else this.#unanchored(s);
      return;
    }
    if (s !== undefined && (split === undefined || !s.first)) {
      if (split !== undefined && auditChainHash(s.prev, split.canonical) === split.hash) {
        this.#fail(s.file, s.line, "inserted", "is not part of the chain: the line after it chains from the line before it");
      } else {
        this.#blame(s);
      }
      return;
    }
    if (s !== undefined) {
      // The first line did not chain from genesis: inserted before the real first line, or the log
      // starts after lines no longer kept; then its hash is where the chain starts.
      if (auditChainHash(s.prev, split!.canonical) === split!.hash) {
        this.#fail(s.file, s.line, "inserted", "is not part of the chain: the line after it chains from the line before it");
        return;
      }
      this.prev = s.hash;
      this.lines++;
      this.#last = { file: s.file, line: s.line, prev: s.prev };
      this.#accepted(s.file, s.line, s.hash, s.canonical);
    }
    if (split === undefined) {
      this.#fail(file, line, "malformed", 'is not a chained audit record (not JSON, or no "hash" at its end)');
      return;
    }
    const expected = this.prev ?? AUDIT_GENESIS_HASH;
    if (auditChainHash(expected, split.canonical) === split.hash) {
      if (this.prev === undefined) this.fromGenesis = true;
      this.#last = { file, line, prev: expected };
      this.prev = split.hash;
      this.lines++;
      this.#accepted(file, line, split.hash, split.canonical);
    } else if (this.prev === undefined && this.#anchors !== undefined) {
      // The first kept line must start where an anchor says the kept trail starts.
      const anchor = this.#anchorFor(split.hash);
      if (anchor !== undefined && auditChainHash(anchor.prev_hash, split.canonical) === split.hash) {
        this.anchored = true;
        this.#last = { file, line, prev: anchor.prev_hash };
        this.prev = split.hash;
        this.lines++;
        this.#accepted(file, line, split.hash, split.canonical);
      } else if (anchor !== undefined) {
        this.#fail(file, line, "edited", "does not match its hash: it was changed (an anchor records the line that starts the kept trail)");
      } else {
        this.#suspect = { file, line, prev: expected, hash: split.hash, canonical: split.canonical, before: undefined, first: false, fileStart: false, unanchored: true };
      }
    } else if (!isJson(text)) {
      this.#fail(file, line, "malformed", "is not JSON");
    } else {
      const first = this.prev === undefined;
      this.#suspect = { file, line, prev: expected, hash: split.hash, canonical: split.canonical, before: this.#last, first, fileStart };
    }
  }

  end(): void {
    const s = this.#suspect;
    this.#suspect = undefined;
    if (s !== undefined && this.broken === undefined) {
      if (s.unanchored) this.#unanchored(s);
      else if (s.first) {
        this.prev = s.hash;
        this.lines++;
        this.#accepted(s.file, s.line, s.hash, s.canonical);
      } else {
        this.#blame(s);
      }
    }
    const cp = this.#checkpoint;
    if (this.broken === undefined && cp !== undefined && this.checkpointAt === undefined) {
      this.#fail(
        "(the log)",
        this.lines,
        "missing",
        `ends before the last checkpoint (${cp.ts}): it recorded line ${cp.lines} with hash ${cp.head_hash.slice(0, 16)}… of the file whose first line has hash ${cp.file_head.slice(0, 16)}…, and no line of the log has that hash: lines were cut from the end, or the chain was rewritten since`,
      );
    }
  }

  #unanchored(s: Suspect): void {
    this.#fail(
      s.file,
      s.line,
      "deleted",
      this.#anchors!.length === 0
        ? "does not chain from the genesis hash, and no anchor records where the kept trail starts: lines before it were deleted, or it was edited or inserted"
        : "is not where an anchor says the kept trail starts: lines before it were deleted, or it was edited or inserted",
    );
  }

  /**
   * Reports a suspect line (the next line chains from it, or tells nothing): when it chains from the
   * line before the one before it, that one was inserted (with a hash made to fit); else it was edited,
   * or lines were deleted before it when it starts a file.
   */
  #blame(s: Suspect): void {
    const b = s.before;
    if (b !== undefined && auditChainHash(b.prev, s.canonical) === s.hash) {
      this.lines--;
      this.#fail(b.file, b.line, "inserted", "is not part of the chain: the line after it chains from the line before it");
    } else if (s.fileStart) this.#fail(s.file, s.line, "deleted", "does not chain from the last line of the file before it: lines between them were removed");
    else this.#fail(s.file, s.line, "edited", "does not match its hash: it was changed (or the line before it was removed)");
  }

  #fail(file: string, line: number, reason: Broken["reason"], what: string): void {
    const message = file === "(the log)" ? `the log ${what}` : `${file} line ${line} ${what}`;
    this.broken ??= { ok: false, file, line, reason, message, lines: this.lines };
  }
}
