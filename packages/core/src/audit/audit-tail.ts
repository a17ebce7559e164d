import { open, stat, type FileHandle } from "node:fs/promises";
import { AUDIT_GENESIS_HASH, splitChainedLine } from "./audit-chain.js";
import { AuditLineSplitter, listAuditFiles, MAX_AUDIT_LINE_BYTES, readAuditBytes, type AuditFile } from "./audit-files.js";

const WINDOW = 64 * 1024;

/** The end of a plain file: its last complete line, and where the complete lines end. */
export interface AuditTail {
  /** The last line that ends in a newline (without it); undefined when there is none, or it is overlong. */
  readonly lastLine: string | undefined;
  /** Bytes up to and including the last newline; less than the size when the file ends in a cut line. */
  readonly completeBytes: number;
}

/** The last newline in `[0, end)`, reading backwards in windows; -1 when there is none after `floor`. */
async function lastNewline(fh: FileHandle, end: number, floor: number): Promise<number> {
  const buf = Buffer.allocUnsafe(WINDOW);
  let hi = end;
  while (hi > floor) {
    const lo = Math.max(floor, hi - WINDOW);
    const { bytesRead } = await fh.read(buf, 0, hi - lo, lo);
    const at = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at !== -1) return lo + at;
    hi = lo;
  }
  return -1;
}

/**
 * Reads the end of a plain audit file of `size` bytes: where its complete lines end and its last
 * complete line. Reads at most a line's worth backwards, never the whole file.
 * @internal
 */
export async function readAuditTail(path: string, size: number): Promise<AuditTail> {
  const fh = await open(path, "r");
  try {
    const last = await lastNewline(fh, size, 0);
    if (last === -1) return { lastLine: undefined, completeBytes: 0 };
    const floor = Math.max(0, last - MAX_AUDIT_LINE_BYTES - 1);
    const prev = await lastNewline(fh, last, floor);
    if (prev === -1 && floor > 0) return { lastLine: undefined, completeBytes: last + 1 };
    const start = prev + 1;
    const buf = Buffer.allocUnsafe(last - start);
    await fh.read(buf, 0, buf.length, start);
    return { lastLine: buf.toString("utf8"), completeBytes: last + 1 };
  } finally {
    await fh.close();
  }
}

/** The last complete line of any audit file, gzipped ones by inflating them whole. @internal */
export async function lastLineOf(file: AuditFile): Promise<string | undefined> {
  if (!file.gz) {
    return (await readAuditTail(file.path, (await stat(file.path)).size)).lastLine;
  }
  let last: { text: string; start: number; end: number } | undefined;
  const splitter = new AuditLineSplitter();
  const sink = {
    line: (text: string, start: number, end: number) => void (last = { text, start, end }),
    overlong: () => void (last = undefined),
  };
  for await (const chunk of readAuditBytes(file)) splitter.push(chunk, sink);
  return last === undefined ? undefined : last.text.slice(last.start, last.end);
}

/**
 * The hash the next line of a log continues from, given the last complete line of its live file:
 * that line's hash; or, when the live file has no line yet, the last line of the newest rotated file
 * that has one (so the chain runs on across a rotation); or the genesis hash for a fresh log. `note`
 * says why the chain restarts although lines exist (the line before carries no hash).
 * @internal
 */
export async function resolveChainStart(path: string, lastLiveLine: string | undefined): Promise<{ hash: string; note?: string }> {
  const from = (line: string, where: string): { hash: string; note?: string } => {
    const split = splitChainedLine(line);
    if (split !== undefined) return { hash: split.hash };
    return { hash: AUDIT_GENESIS_HASH, note: `the last line of ${where} carries no hash; the hash chain starts afresh` };
  };
  if (lastLiveLine !== undefined) return from(lastLiveLine, path);
  const rotated = (await listAuditFiles(path)).filter((f) => f.rank > 0).reverse(); // newest first
  for (const file of rotated) {
    let line: string | undefined;
    try {
      line = await lastLineOf(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // removed while we looked
      throw err;
    }
    if (line !== undefined) return from(line, file.path);
  }
  return { hash: AUDIT_GENESIS_HASH };
}

/**
 * The complete lines of the first `size` bytes of a plain audit file, and the hash its first line carries
 * (undefined when it has none): what a checkpoint says about the live file. One sequential read.
 * @internal
 */
export async function countAuditLines(path: string, size: number): Promise<{ lines: number; firstHash: string | undefined }> {
  let lines = 0;
  let first: Buffer | undefined;
  for await (const chunk of readAuditBytes({ path, rank: 0, gz: false }, 0, size)) {
    if (first === undefined || (lines === 0 && first.length < MAX_AUDIT_LINE_BYTES)) {
      const nl = chunk.indexOf(0x0a);
      const part = Buffer.from(nl === -1 ? chunk : chunk.subarray(0, nl));
      first = first === undefined ? part : Buffer.concat([first, part]);
    }
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
  }
  const firstHash = lines > 0 && first !== undefined ? splitChainedLine(first.toString("utf8"))?.hash : undefined;
  return { lines, firstHash };
}

/** The first complete line of any audit file (gzipped ones inflated until it ends); undefined when it has none. @internal */
export async function firstLineOf(file: AuditFile): Promise<string | undefined> {
  let first: string | undefined;
  let overlong = false;
  const splitter = new AuditLineSplitter();
  const sink = {
    line: (text: string, start: number, end: number) => void (first ??= text.slice(start, end)),
    overlong: () => void (overlong = true),
  };
  for await (const chunk of readAuditBytes(file)) {
    splitter.push(chunk, sink);
    if (first !== undefined || overlong) break;
  }
  return overlong ? undefined : first;
}
