import { mkdir, open, stat, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { countAuditLines, readAuditTail, resolveChainStart } from "./audit-tail.js";

/** The audit file as the writer holds it: the handle, the file's identity, and the size we expect. @internal */
export interface AppendFile {
  readonly fh: FileHandle;
  readonly dev: number;
  readonly ino: number;
  size: number;
}

/**
 * Opens the audit file for appending (creating its directory 0700 and the file 0600, tightening a
 * looser one), removes a last line cut by a crash (not a record, and a chain break if kept), and
 * finds the hash the chain continues from unless the caller knows it (after a reopen it does).
 * @internal
 */
export async function openAuditAppend(
  path: string,
  knownHash: string | undefined,
  report: { onError(err: Error): void; onWarning(err: Error): void },
): Promise<{ file: AppendFile; lastHash: string; lines: number; firstHash: string | undefined }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const fh = await open(path, "a", 0o600);
  try {
    const st = await fh.stat();
    // The mode only applies when the file is created.
    if ((st.mode & 0o077) !== 0) {
      await fh.chmod(0o600).catch((err: unknown) => report.onError(new Error(`audit log ${path}: cannot make it 0600`, { cause: err })));
    }
    let size = st.size;
    let lastLine: string | undefined;
    if (size > 0) {
      const tail = await readAuditTail(path, size);
      if (tail.completeBytes < size) {
        await fh.truncate(tail.completeBytes);
        report.onWarning(new Error(`audit log ${path}: removed an incomplete last line (${size - tail.completeBytes} bytes) left by an interrupted write`));
        size = tail.completeBytes;
      }
      lastLine = tail.lastLine;
    }
    let lastHash = knownHash;
    if (lastHash === undefined) {
      const start = await resolveChainStart(path, lastLine);
      if (start.note !== undefined) report.onWarning(new Error(`audit log ${path}: ${start.note}`));
      lastHash = start.hash;
    }
    const { lines, firstHash } = size > 0 ? await countAuditLines(path, size) : { lines: 0, firstHash: undefined };
    return { file: { fh, dev: st.dev, ino: st.ino, size }, lastHash, lines, firstHash };
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/**
 * One stat: has logrotate moved the file away (`create`: another inode, or none yet, at the path) or
 * truncated it (`copytruncate`: smaller than what we wrote)? A moved file must be reopened; a
 * truncated one needs nothing (the handle appends, so the next write lands at the new end), but the
 * lines written between logrotate's copy and its truncate are gone, which `verify` reports.
 * @internal
 */
export async function lookForRotation(path: string, file: AppendFile): Promise<{ moved: true } | { moved: false; shrankTo?: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (st === undefined || st.ino !== file.ino || st.dev !== file.dev) return { moved: true };
  return st.size < file.size ? { moved: false, shrankTo: st.size } : { moved: false };
}
