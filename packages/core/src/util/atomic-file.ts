/**
 * Crash-safe file replacement: readers see the old content or the new, never a mix, and after the promise
 * resolves the new content survives a power loss. Used for the locations file and refresh-token files.
 */
import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Options of `writeFileAtomic()`. */
export interface WriteFileAtomicOptions {
  /**
   * Permission bits of the new file, applied with chmod so the umask cannot widen or narrow them.
   * @default 0o600 (these files hold credentials or references to them)
   */
  mode?: number;
  /**
   * Runs after the temporary file is written and fsynced, just before it is renamed over the target.
   * The store checks its lock here; tests throw here to simulate a crash at the worst moment.
   * Throwing aborts the write: the target keeps its old content and the temporary file is removed.
   * @internal
   */
  beforeRename?: ((tmpPath: string) => void | Promise<void>) | undefined;
}

/** Default mode of atomically written files: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Replaces `path` with `data` atomically: writes a temporary file in the same directory (so the rename cannot
 * cross file systems), fsyncs it, renames it over the target, then fsyncs the directory so the rename itself
 * is durable. The parent directory must exist.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteFileAtomicOptions = {}): Promise<void> {
  const mode = options.mode ?? PRIVATE_FILE_MODE;
  const dir = dirname(path);
  // Hidden, unique per writer: concurrent writers never share a temporary file, and a crash leaves only an
  // ignorable dot-file behind, never a half-written target.
  const tmpPath = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let renamed = false;
  try {
    const handle = await open(tmpPath, "wx", mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.(tmpPath);
    await rename(tmpPath, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmpPath).catch(() => undefined);
  }
  await fsyncDirectory(dir);
}

/** Flushes a directory's entries (a rename or a new file) to disk; a no-op where directories cannot be fsynced. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (err) {
    // Windows cannot open directories, and some file systems refuse fsync on them; the rename is still atomic there.
    const code = (err as { code?: unknown }).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw err;
  } finally {
    await handle?.close();
  }
}
