import { access } from "node:fs/promises";
import { AUDIT_GENESIS_HASH, auditChainHash, splitChainedLine } from "./audit-chain.js";
import { sealSigned, type AuditAnchor, type AuditCheckpoint, type AuditSeals } from "./audit-checkpoints.js";
import { AuditLineSplitter, listAuditFiles, readAuditBytes, type AuditFile } from "./audit-files.js";
import { OpenIntents } from "./audit-intents.js";

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

/** What verification knows from outside the log: the anchors and last checkpoint, and the key that signs them. */
export interface AuditVerifyOptions {
  /** From the checkpoint store; when given, the first kept line must start at genesis or at an anchor. */
  seals?: AuditSeals | undefined;
  /** The HMAC key: every anchor and checkpoint must carry its HMAC. */
  key?: Uint8Array | undefined;
  /** Names the checkpoint store in messages. */
  sealsWhere?: string | undefined;
}

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

/** Checks lines in order; stops at the first break. */
class ChainVerifier {
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

/**
 * Verifies the hash chain of an audit log and names the first broken line. Give the files in log order
 * (oldest first; `.gz` ones are inflated), or `{ path }` of the live file to check it with its rotated
 * copies (`<path>.N`, `<path>.N.gz`, oldest first). Rejects when a file cannot be read.
 */
export async function verifyAuditChain(input: readonly string[] | { path: string }, options: AuditVerifyOptions = {}): Promise<AuditVerifyResult> {
  const files: AuditFile[] = Array.isArray(input)
    ? (input as readonly string[]).map((path) => ({ path, rank: 0, gz: path.endsWith(".gz") }))
    : await existing(await listAuditFiles((input as { path: string }).path));
  const { seals, key } = options;
  if (seals !== undefined && key !== undefined) {
    const where = options.sealsWhere ?? "the checkpoint store";
    for (const seal of [...seals.anchors, ...(seals.checkpoint === undefined ? [] : [seals.checkpoint])]) {
      if (sealSigned(seal, key)) continue;
      return {
        ok: false,
        file: where,
        line: 0,
        reason: "forged",
        message: `${where} holds ${seal.kind === "anchor" ? "an anchor" : "a checkpoint"} of ${seal.ts} without the HMAC of audit.checkpoints.hmac_key: it was written without the key (a regenerated chain?)`,
        lines: 0,
      };
    }
  }
  const v = new ChainVerifier(seals);
  const cutLines: { file: string; line: number }[] = [];
  let index = 0;
  for (const file of files) {
    let lineNo = 0;
    const fileStart = index++ > 0;
    const splitter = new AuditLineSplitter();
    const sink = {
      line: (text: string, s: number, e: number) => {
        lineNo++;
        if (v.broken === undefined) v.line(file.path, lineNo, fileStart && lineNo === 1, text.slice(s, e));
      },
      overlong: () => {
        lineNo++;
        if (v.broken === undefined) v.line(file.path, lineNo, fileStart && lineNo === 1, "");
      },
    };
    for await (const chunk of readAuditBytes(file)) {
      splitter.push(chunk, sink);
      if (v.broken !== undefined) return v.broken;
    }
    if (splitter.carried > 0) cutLines.push({ file: file.path, line: lineNo + 1 });
  }
  v.end();
  if (v.broken !== undefined) return v.broken;
  const checkpoint = seals?.checkpoint === undefined ? undefined : { ts: seals.checkpoint.ts, linesAfter: v.linesAfterCheckpoint };
  return {
    ok: true,
    files: files.length,
    lines: v.lines,
    lastHash: v.prev,
    fromGenesis: v.fromGenesis || v.lines === 0,
    cutLines,
    paths: files.map((f) => f.path),
    anchored: v.anchored,
    checkpoint,
    outcomeUnknown: v.intents.take(),
  };
}

/** The listed files that exist (the live file may not have been created yet). */
async function existing(files: AuditFile[]): Promise<AuditFile[]> {
  const out: AuditFile[] = [];
  for (const f of files) if (await access(f.path).then(() => true, () => false)) out.push(f);
  return out;
}

/** Where runAuditVerify() writes: the CLI's stdout and stderr. */
export interface AuditVerifyIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Request ids of unknown outcome printed at most; the count says how many more. */
const MAX_UNKNOWN_SHOWN = 100;

/**
 * `podium-router audit verify [--file …]`: verifies the chain and prints the outcome, and every file it read.
 * Returns the exit code: 0 intact, 1 broken (the first broken line is named on stderr), 2 no audit file was
 * found (the path it looked at is named) or a file could not be read. Intent lines without an outcome line
 * are listed (outcome unknown); they are not a break.
 */
export async function runAuditVerify(input: readonly string[] | { path: string }, io: AuditVerifyIo, options: AuditVerifyOptions = {}): Promise<number> {
  let result: AuditVerifyResult;
  try {
    result = await verifyAuditChain(input, options);
  } catch (err) {
    io.stderr.write(`podium-router: audit verify: ${(err as Error).message}\n`);
    return 2;
  }
  if (result.ok && result.files === 0) {
    const path = Array.isArray(input) ? String(input[0]) : (input as { path: string }).path;
    io.stderr.write(`podium-router: audit verify: no audit log at ${path} (nor rotated copies ${path}.N); nothing was verified. Pass --state-dir, --settings or --file to name the log\n`);
    return 2;
  }
  if (!result.ok) {
    io.stderr.write(`podium-router: audit chain broken: ${result.reason}: ${result.message} (${result.lines} line(s) before it chain)\n`);
    return 1;
  }
  for (const path of result.paths) io.stdout.write(`read ${path}\n`);
  const start = result.fromGenesis
    ? "from the first line of the log"
    : result.anchored
      ? "from the anchored start of the kept trail (older files were removed)"
      : "from a line no longer kept (older files were removed; no anchors were checked)";
  io.stdout.write(`audit chain intact: ${result.lines} line(s) in ${result.files} file(s), ${start}\n`);
  if (result.lastHash !== undefined) io.stdout.write(`last hash: ${result.lastHash}\n`);
  if (result.checkpoint !== undefined) io.stdout.write(`last checkpoint: ${result.checkpoint.ts}, found; ${result.checkpoint.linesAfter} line(s) after it\n`);
  else if (options.seals !== undefined) io.stdout.write(`note: no checkpoint recorded yet in ${options.sealsWhere ?? "the checkpoint store"}: lines cut from the end cannot be detected\n`);
  if (options.seals !== undefined && options.key === undefined) io.stdout.write("note: anchors and checkpoints were not checked against an HMAC key (audit.checkpoints.hmac_key is not set)\n");
  for (const cut of result.cutLines) io.stdout.write(`note: ${cut.file} line ${cut.line} was cut short by an interrupted write (not a record)\n`);
  const unknown = result.outcomeUnknown;
  if (unknown.length > 0) {
    io.stdout.write(`outcome unknown: ${unknown.length} write(s) left for Podium and no outcome line follows their intent line (a crash in between); check them with Podium by request id:\n`);
    for (const rid of unknown.slice(0, MAX_UNKNOWN_SHOWN)) io.stdout.write(`  outcome unknown: ${rid}\n`);
    if (unknown.length > MAX_UNKNOWN_SHOWN) io.stdout.write(`  … and ${unknown.length - MAX_UNKNOWN_SHOWN} more\n`);
  }
  return 0;
}
