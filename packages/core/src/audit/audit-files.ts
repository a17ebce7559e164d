import { closeSync, createReadStream, openSync, readdirSync, readSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createGunzip } from "node:zlib";

/** One file of an audit log: the live file or a copy logrotate left beside it. */
export interface AuditFile {
  readonly path: string;
  /** 0 for the live file; N for `<name>.N` and `<name>.N.gz` (higher is older, as logrotate numbers them). */
  readonly rank: number;
  /** Gzipped (`.gz`): read through node:zlib, never by offset. */
  readonly gz: boolean;
}

const ROTATED = /^(\d+)(\.gz)?$/;

/**
 * The files of the audit log at `path`, oldest first: rotated copies `<name>.N` / `<name>.N.gz` by
 * descending N, then the live file (listed even when it does not exist yet). When both `<name>.N` and
 * `<name>.N.gz` exist (logrotate is compressing), only the plain one is listed: it is complete, the
 * other may still be growing. Other names (`<name>.index.sqlite`, `<name>-2026…`) are not part of it.
 */
export async function listAuditFiles(path: string): Promise<AuditFile[]> {
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [{ path, rank: 0, gz: false }];
    throw err;
  }
  return auditFilesAmong(path, names);
}

/** listAuditFiles(), synchronously: one readdir, for the index's frequent quick looks. @internal */
export function listAuditFilesSync(path: string): AuditFile[] {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [{ path, rank: 0, gz: false }];
    throw err;
  }
  return auditFilesAmong(path, names);
}

function auditFilesAmong(path: string, names: string[]): AuditFile[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const byRank = new Map<number, AuditFile>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = ROTATED.exec(name.slice(prefix.length));
    if (m === null) continue;
    const rank = Number(m[1]);
    if (!Number.isSafeInteger(rank) || rank < 1) continue;
    const gz = m[2] !== undefined;
    const seen = byRank.get(rank);
    if (seen !== undefined && !seen.gz) continue;
    byRank.set(rank, { path: join(dir, name), rank, gz });
  }
  const rotated = [...byRank.values()].sort((a, b) => b.rank - a.rank);
  return [...rotated, { path, rank: 0, gz: false }];
}

/**
 * Bytes `[from, upTo)` of a plain file, read synchronously: for the few bytes a refresh usually finds
 * appended, one read is cheaper (and steadier) than a trip through the thread pool. @internal
 */
export function readAuditBytesSync(path: string, from: number, upTo: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(upTo - from);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, from + n);
      if (got === 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Bytes read per call from a plain file. */
const CHUNK_BYTES = 1024 * 1024;
/**
 * Read buffers are reused: on this kind of machine touching fresh memory costs more than reading the
 * file (a new 4 MiB buffer per read cost more than parsing it), so a few are kept between reads.
 */
const spare: Buffer[] = [];
const take = (): Buffer => spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
const give = (b: Buffer): void => void (spare.length < 4 && spare.push(b));

/**
 * The file's bytes from `from` on (for a gzipped file, its decompressed bytes: the offset counts
 * decompressed bytes, and the bytes before it are inflated and dropped), in chunks, until its end as
 * seen while reading, or (plain files) until byte `upTo`. A chunk is valid until the next one is asked
 * for (its memory is reused): copy what you keep. Rejects with ENOENT when the file is gone.
 * @internal
 */
export async function* readAuditBytes(file: AuditFile, from = 0, upTo = Number.POSITIVE_INFINITY): AsyncGenerator<Buffer, void, undefined> {
  if (file.gz) {
    let skip = from;
    const stream = createReadStream(file.path).pipe(createGunzip());
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
    return;
  }
  const fh = await open(file.path, "r");
  const bufs = [take(), take()];
  let next: Promise<Buffer> | undefined;
  try {
    let position = from;
    // One read ahead, into the other buffer: the next chunk is read while the caller works on this one.
    const read = (buf: Buffer, at: number): Promise<Buffer> | undefined => {
      if (at >= upTo) return undefined;
      const want = Math.min(CHUNK_BYTES, upTo - at);
      return fh.read(buf, 0, want, at).then(({ bytesRead }) => buf.subarray(0, bytesRead));
    };
    let cur = 0;
    next = read(bufs[0]!, position);
    while (next !== undefined) {
      const chunk = await next;
      next = undefined;
      if (chunk.length === 0) return;
      position += chunk.length;
      next = read(bufs[cur ^ 1]!, position);
      yield chunk;
      cur ^= 1;
    }
  } finally {
    // A consumer that stops early leaves a read in flight; let it land before the handle closes.
    await next?.catch(() => undefined);
    await fh.close().catch(() => undefined);
    bufs.forEach(give);
  }
}

/** Longest line kept whole; a longer one is not an audit record and is skipped as one bad line. */
export const MAX_AUDIT_LINE_BYTES = 1024 * 1024;
/** Bytes decoded into one string at a time when cutting lines. */
const WINDOW = 64 * 1024;

/** What a line splitter hands over: a line (without its newline) or an overlong line's byte count. */
export interface AuditLineSink {
  /**
   * A complete line: `text[start, end)`; `bytes` is its length in the file, with the newline;
   * `noEscapes` tells that `text` (several lines) holds no backslash.
   */
  line(text: string, start: number, end: number, bytes: number, noEscapes: boolean): void;
  /** A line longer than MAX_AUDIT_LINE_BYTES was skipped; `bytes` counts it with its newline. */
  overlong(bytes: number): void;
}

/**
 * Cuts chunks into lines. Each chunk is decoded up to its last newline in one go and split with the
 * string search, which is far cheaper per line than searching the buffer; bytes after the last newline
 * are carried into the next chunk, so only complete lines are handed over and no UTF-8 sequence is
 * cut. `carried` tells how many bytes wait (a line still being written, or a last line cut by a crash).
 * @internal
 */
export class AuditLineSplitter {
  #carry: Buffer | undefined;
  /** Bytes of an overlong line dropped so far; the line ends at the next newline. */
  #skipped = 0;

  get carried(): number {
    return this.#skipped + (this.#carry?.length ?? 0);
  }

  push(chunk: Buffer, sink: AuditLineSink): void {
    let pos = 0;
    if (this.#carry !== undefined || this.#skipped > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl === -1) {
        this.#hold(chunk);
        return;
      }
      if (this.#skipped > 0) {
        sink.overlong(this.#skipped + nl + 1);
        this.#skipped = 0;
      } else {
        const line = Buffer.concat([this.#carry!, chunk.subarray(0, nl)]);
        this.#carry = undefined;
        if (line.length > MAX_AUDIT_LINE_BYTES) sink.overlong(line.length + 1);
        else {
          const text = line.toString("utf8");
          sink.line(text, 0, text.length, line.length + 1, false);
        }
      }
      pos = nl + 1;
    }
    while (pos < chunk.length) {
      // Decode at most WINDOW bytes at a time: a short string is cheap to make, a long one is not.
      const windowEnd = Math.min(chunk.length, pos + WINDOW);
      let last = chunk.lastIndexOf(0x0a, windowEnd - 1);
      if (last < pos) {
        last = windowEnd === chunk.length ? -1 : chunk.indexOf(0x0a, windowEnd); // a line longer than the window
        if (last === -1) break;
      }
      this.#lines(chunk, pos, last + 1, sink);
      pos = last + 1;
    }
    if (pos < chunk.length) this.#hold(chunk.subarray(pos));
  }

  /** Hands over the lines of `chunk[from, to)`, which ends with a newline. */
  #lines(chunk: Buffer, from: number, to: number, sink: AuditLineSink): void {
    const text = chunk.toString("utf8", from, to);
    // One char per byte (ASCII, the usual case): offsets in the text are offsets in the file.
    const sameLength = text.length === to - from;
    const noEscapes = text.indexOf("\\") === -1;
    let at = 0;
    for (;;) {
      const nl = text.indexOf("\n", at);
      if (nl === -1) break;
      const bytes = sameLength ? nl - at + 1 : Buffer.byteLength(text.slice(at, nl)) + 1;
      if (bytes - 1 > MAX_AUDIT_LINE_BYTES) sink.overlong(bytes);
      else sink.line(text, at, nl, bytes, noEscapes);
      at = nl + 1;
    }
  }

  #hold(part: Buffer): void {
    if (this.#skipped > 0) {
      this.#skipped += part.length;
      return;
    }
    // Copied: the chunk's memory is reused for the next read.
    this.#carry = this.#carry === undefined ? Buffer.from(part) : Buffer.concat([this.#carry, part]);
    if (this.#carry.length > MAX_AUDIT_LINE_BYTES) {
      this.#skipped = this.#carry.length;
      this.#carry = undefined;
    }
  }
}
