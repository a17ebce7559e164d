import { createHash } from "node:crypto";
import { statSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { listAuditFilesSync, MAX_AUDIT_LINE_BYTES, readAuditBytes, type AuditFile } from "../audit-files.js";
import type { FileRow } from "./audit-index-database.js";
import type { AuditIndexStore } from "./audit-index-store.js";

/** A file of the log, as seen by one refresh. @internal */
export interface SeenFile {
  readonly file: AuditFile;
  readonly st: Stats;
}

/** What the tracker remembers of a file by path, to know it again without reading its first line. */
interface Memo {
  dev: number;
  ino: number;
  size: number;
  mtime: number;
  id: number;
}

/** At least this often every file is looked at again, even when nothing seems to have moved. */
const FULL_LOOK_MS = 60_000;

/**
 * Which files a refresh must read, cheaply. A full look stats every file and knows each by the hash
 * of its first line; between rotations only the live file and the newest rotated one can change (the
 * writer may still append to the file logrotate just renamed), so as long as the directory lists the
 * same names, the live file keeps its inode without shrinking and the newest rotated file keeps its
 * inode, a refresh stats just those two (a dozen files cost a millisecond, a hundred cost ten).
 * @internal
 */
export class AuditFileTracker {
  readonly #path: string;
  readonly #memo = new Map<string, Memo>();
  /** Files retention is removing: not read again, so their dropped rows stay dropped. */
  readonly #forgotten = new Set<string>();
  #names = "";
  #live = "";
  #liveSize = 0;
  #newest = "";
  #fullAt = Number.NEGATIVE_INFINITY;

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * The files to read in this refresh. `full`: every file of the log is listed (so one missing from
   * the list is gone); `sure`: no rotated file vanished while they were listed (a rotation under way).
   */
  async list(): Promise<{ files: SeenFile[]; full: boolean; sure: boolean }> {
    for (let attempt = 0; ; attempt++) {
      // Synchronous on purpose: a readdir and a few stats of a local directory take microseconds, and
      // a trip through the thread pool for each would add its latency to every query.
      let all = listAuditFilesSync(this.#path);
      if (this.#forgotten.size > 0) {
        const present = new Set(all.map((f) => f.path));
        for (const p of this.#forgotten) if (!present.has(p)) this.#forgotten.delete(p);
        all = all.filter((f) => !this.#forgotten.has(f.path));
      }
      const live = all[all.length - 1]!;
      const newest = all.length > 1 ? all[all.length - 2] : undefined;
      const stLive = statOf(live);
      const stNewest = newest === undefined ? undefined : statOf(newest);
      if (newest !== undefined && stNewest === undefined && attempt < 2) continue; // renamed while we looked
      const names = all.map((f) => f.path).join("\n");
      const liveKey = stLive === undefined ? "" : `${stLive.dev}:${stLive.ino}`;
      const newestKey = stNewest === undefined ? "" : `${stNewest.dev}:${stNewest.ino}`;
      const quiet =
        names === this.#names &&
        liveKey === this.#live &&
        (stLive?.size ?? 0) >= this.#liveSize &&
        newestKey === this.#newest &&
        Date.now() - this.#fullAt < FULL_LOOK_MS;
      this.#names = names;
      this.#live = liveKey;
      this.#liveSize = stLive?.size ?? 0;
      this.#newest = newestKey;
      if (quiet) {
        const files: SeenFile[] = [];
        if (newest !== undefined && stNewest !== undefined) files.push({ file: newest, st: stNewest });
        if (stLive !== undefined) files.push({ file: live, st: stLive });
        return { files, full: false, sure: true };
      }
      const files: SeenFile[] = [];
      let vanished = false;
      for (const file of all) {
        const st = file === live ? stLive : file === newest ? stNewest : statOf(file);
        if (st !== undefined) files.push({ file, st });
        else if (file.rank > 0) vanished = true; // the live file may simply not exist yet
      }
      if (vanished && attempt < 2) continue;
      this.#fullAt = vanished ? Number.NEGATIVE_INFINITY : Date.now();
      return { files, full: true, sure: !vanished };
    }
  }

  /**
   * The index row of a file: by path and inode while it only grows (a rotated file always; the live
   * file between full looks), else by the hash of its first line, adding a row for new content.
   * Undefined while the file has no complete first line.
   */
  async identify(seen: SeenFile, full: boolean, rows: Map<number, FileRow>, store: AuditIndexStore): Promise<FileRow | undefined> {
    const { file, st } = seen;
    const memo = this.#memo.get(file.path);
    const mtime = Math.floor(st.mtimeMs);
    // On a full look the live file's first line is read again: copytruncate empties it in place.
    const trusted = file.rank > 0 || !full;
    if (trusted && memo !== undefined && memo.dev === st.dev && memo.ino === st.ino && st.size >= memo.size && (!file.gz || (st.size === memo.size && mtime === memo.mtime))) {
      const row = rows.get(memo.id);
      if (row !== undefined) {
        memo.size = st.size;
        return row;
      }
    }
    this.#memo.delete(file.path);
    const head = await readHead(file);
    if (head === undefined) return undefined; // empty, or its first line is still being written
    let row = [...rows.values()].find((r) => r.head === head);
    if (row === undefined) {
      row = store.addFile(head, basename(file.path), file.gz, st.dev, st.ino);
      rows.set(row.id, row);
    }
    store.sawFile(row, basename(file.path), file.gz, st.dev, st.ino);
    this.#memo.set(file.path, { dev: st.dev, ino: st.ino, size: st.size, mtime, id: row.id });
    return row;
  }

  /** The row id of a file by path (remembered, or by its first line); the file is not read again. */
  async forget(filePath: string, store: AuditIndexStore): Promise<number | undefined> {
    this.#forgotten.add(filePath);
    const memo = this.#memo.get(filePath);
    this.#memo.delete(filePath);
    if (memo !== undefined) return memo.id;
    const head = await readHead({ path: filePath, rank: 1, gz: filePath.endsWith(".gz") }).catch(() => undefined);
    return head === undefined ? undefined : store.fileByHead(head)?.id;
  }
}

function statOf(file: AuditFile): Stats | undefined {
  return statSync(file.path, { throwIfNoEntry: false });
}

/** The identity of a file's content: sha256 of its first line (or of its first MiB when that has no newline). */
async function readHead(file: AuditFile): Promise<string | undefined> {
  const h = createHash("sha256");
  let length = 0;
  const chunks = file.gz ? readAuditBytes(file) : readPlainHead(file.path);
  for await (const chunk of chunks) {
    const nl = chunk.indexOf(0x0a);
    if (nl !== -1) return h.update(chunk.subarray(0, nl + 1)).digest("hex").slice(0, 32);
    h.update(chunk);
    length += chunk.length;
    if (length > MAX_AUDIT_LINE_BYTES) return h.digest("hex").slice(0, 32);
  }
  return undefined;
}

/** A plain file's first bytes, 4 KiB first (a first line is a few hundred bytes), then in 64 KiB steps. */
async function* readPlainHead(path: string): AsyncGenerator<Buffer, void, undefined> {
  const fh = await open(path, "r");
  try {
    let position = 0;
    for (let want = 4096; position <= MAX_AUDIT_LINE_BYTES; want = 65_536) {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}
