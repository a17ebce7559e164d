import { createReadStream } from "node:fs";
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
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [{ path, rank: 0, gz: false }];
    throw err;
  }
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

/** Bytes read per call from a plain file: big enough that a 10-million-line log takes few reads. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The file's bytes from `from` on (for a gzipped file, its decompressed bytes: the offset counts
 * decompressed bytes, and the bytes before it are inflated and dropped), in chunks, until its end as
 * seen while reading, or (plain files) until byte `upTo`. Rejects with ENOENT when the file is gone.
 * @internal
 */
export async function* readAuditBytes(file: AuditFile, from = 0, upTo = Infinity): AsyncGenerator<Buffer, void, undefined> {
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
  try {
    let position = from;
    while (position < upTo) {
      const want = Math.min(CHUNK_BYTES, upTo - position);
      // A fresh buffer per chunk: consumers may keep slices of the previous one (a carried line).
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Longest line kept whole; a longer one is not an audit record and is skipped as one bad line. */
export const MAX_AUDIT_LINE_BYTES = 1024 * 1024;

/** What a line splitter hands over: a line (without its newline) or an overlong line's byte count. */
export interface AuditLineSink {
  /** A complete line: `buf[start, end)`; `bytes` is its length with the newline. */
  line(buf: Buffer, start: number, end: number, bytes: number): void;
  /** A line longer than MAX_AUDIT_LINE_BYTES was skipped; `bytes` counts it with its newline. */
  overlong(bytes: number): void;
}

/**
 * Cuts chunks into lines. Bytes after the last newline are carried into the next chunk, so only
 * complete lines are handed over; `carried` tells how many wait (a line still being written, or a
 * last line cut short by a crash).
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
        else sink.line(line, 0, line.length, line.length + 1);
      }
      pos = nl + 1;
    }
    for (;;) {
      const nl = chunk.indexOf(0x0a, pos);
      if (nl === -1) break;
      if (nl - pos > MAX_AUDIT_LINE_BYTES) sink.overlong(nl - pos + 1);
      else sink.line(chunk, pos, nl, nl - pos + 1);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.#hold(chunk.subarray(pos));
  }

  #hold(part: Buffer): void {
    if (this.#skipped > 0) {
      this.#skipped += part.length;
      return;
    }
    this.#carry = this.#carry === undefined ? part : Buffer.concat([this.#carry, part]);
    if (this.#carry.length > MAX_AUDIT_LINE_BYTES) {
      this.#skipped = this.#carry.length;
      this.#carry = undefined;
    }
  }
}
