import { access } from "node:fs/promises";
import { AUDIT_GENESIS_HASH, auditChainHash, splitChainedLine } from "./audit-chain.js";
import { AuditLineSplitter, listAuditFiles, readAuditBytes, type AuditFile } from "./audit-files.js";

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
 */
export type AuditChainBreak = "edited" | "inserted" | "deleted" | "malformed";

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
}

const isJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Checks lines in order; stops at the first break. */
class ChainVerifier {
  prev: string | undefined;
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
    if (s === undefined || this.broken !== undefined) return;
    if (s.first) {
      this.prev = s.hash;
      this.lines++;
    } else {
      this.#blame(s);
    }
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
    this.broken ??= { ok: false, file, line, reason, message: `${file} line ${line} ${what}`, lines: this.lines };
  }
}

/**
 * Verifies the hash chain of an audit log and names the first broken line. Give the files in log order
 * (oldest first; `.gz` ones are inflated), or `{ path }` of the live file to check it with its rotated
 * copies (`<path>.N`, `<path>.N.gz`, oldest first). Rejects when a file cannot be read.
 */
export async function verifyAuditChain(input: readonly string[] | { path: string }): Promise<AuditVerifyResult> {
  const files: AuditFile[] = Array.isArray(input)
    ? (input as readonly string[]).map((path) => ({ path, rank: 0, gz: path.endsWith(".gz") }))
    : await existing(await listAuditFiles((input as { path: string }).path));
  const v = new ChainVerifier();
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
  return { ok: true, files: files.length, lines: v.lines, lastHash: v.prev, fromGenesis: v.fromGenesis || v.lines === 0, cutLines };
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

/**
 * `podium-router audit verify [--file …]`: verifies the chain and prints the outcome. Returns the exit
 * code: 0 intact, 1 broken (the first broken line is named on stderr), 2 a file could not be read.
 */
export async function runAuditVerify(input: readonly string[] | { path: string }, io: AuditVerifyIo): Promise<number> {
  let result: AuditVerifyResult;
  try {
    result = await verifyAuditChain(input);
  } catch (err) {
    io.stderr.write(`podium-router: audit verify: ${(err as Error).message}\n`);
    return 2;
  }
  if (!result.ok) {
    io.stderr.write(`podium-router: audit chain broken: ${result.reason}: ${result.message} (${result.lines} line(s) before it chain)\n`);
    return 1;
  }
  const start = result.fromGenesis ? "from the first line of the log" : "from a line no longer kept (older files were removed)";
  io.stdout.write(`audit chain intact: ${result.lines} line(s) in ${result.files} file(s), ${start}\n`);
  if (result.lastHash !== undefined) io.stdout.write(`last hash: ${result.lastHash}\n`);
  for (const cut of result.cutLines) io.stdout.write(`note: ${cut.file} line ${cut.line} was cut short by an interrupted write (not a record)\n`);
  return 0;
}
