import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { open, stat } from "node:fs/promises";
import { CredentialError } from "@podium-router/errors";
import { writeFileAtomic } from "../../util/index.js";
import type { LocationRecord } from "../credential-store.js";
import { parseLocationsDocument, serializeLocationsDocument } from "../locations-document.js";
import { describeReadError } from "../secret-ref.js";
import { errorCode } from "./error-code.js";
import type { FileLock } from "./file-lock.js";

/**
 * What was last read or written: a digest of the bytes (to detect an unchanged file under the lock) and the
 * parsed records. A digest rather than the bytes: with 100,000 locations the file is 63 MB, kept for nothing.
 */
interface Snapshot {
  signature: string;
  digest: string;
  records: Map<string, LocationRecord>;
}

/** The locations file of the file credential store (see locations-document.ts), read and written whole, cached. */
export class LocationsFile {
  readonly #path: string;
  readonly #beforeRename: ((tmpPath: string) => void | Promise<void>) | undefined;
  #snapshot: Snapshot | undefined;

  /** `path` resolved; `beforeRename` runs between writing the temporary file and renaming it (crash tests). */
  constructor(path: string, beforeRename?: ((tmpPath: string) => void | Promise<void>) | undefined) {
    this.#path = path;
    this.#beforeRename = beforeRename;
  }

  /** Drops the cached records. */
  forget(): void {
    this.#snapshot = undefined;
  }

  /**
   * The records on disk. Outside the lock an unchanged stat signature answers from memory; under the lock
   * (`fresh`) the bytes are always read again, so a write never starts from a stale copy.
   */
  async read(fresh: boolean): Promise<Map<string, LocationRecord>> {
    const path = this.#path;
    let handle;
    try {
      handle = await open(path, "r");
    } catch (err) {
      if (errorCode(err) === "ENOENT") {
        this.#snapshot = undefined;
        return new Map();
      }
      throw new CredentialError({ cause: err }, `locations file ${path} ${describeReadError(err)}`);
    }
    try {
      // fstat of the open handle, so the signature describes exactly the bytes read below.
      const stats = await handle.stat({ bigint: true });
      if (process.platform !== "win32" && (stats.mode & 0o077n) !== 0n) {
        throw new CredentialError({}, `locations file ${path} is readable or writable by group or others; run: chmod 600 ${path}`);
      }
      const signature = signatureOf(stats);
      const cached = this.#snapshot;
      if (!fresh && cached?.signature === signature) return cached.records;
      const raw = await handle.readFile();
      const digest = digestOf(raw);
      if (cached?.digest === digest) {
        cached.signature = signature;
        return cached.records;
      }
      const records = parseLocationsDocument(raw.toString("utf8"), path);
      this.#snapshot = { signature, digest, records };
      return records;
    } finally {
      await handle.close();
    }
  }

  /** Replaces the locations file with `records` (atomic, 0600) under `lock` and caches what was written. */
  async write(records: Map<string, LocationRecord>, lock: FileLock): Promise<void> {
    const path = this.#path;
    const text = serializeLocationsDocument(records.values());
    await writeFileAtomic(path, text, {
      beforeRename: async (tmpPath) => {
        // Set by proper-lockfile when another process took the lock over because we stalled past lockStaleMs.
        if (lock.compromised) throw new CredentialError({}, `lost the lock on ${path} while writing; nothing was changed, retry`);
        await this.#beforeRename?.(tmpPath);
      },
    }).catch((err: unknown) => {
      // File-system failures (ENOSPC, EACCES, ...) become a CredentialError naming the file; ours pass through.
      const code = errorCode(err);
      if (code === "unknown error" || code.startsWith("ERR_LOC_")) throw err;
      throw new CredentialError({ cause: err }, `cannot write locations file ${path} (${code}); nothing was changed`);
    });
    this.#snapshot = { signature: signatureOf(await stat(path, { bigint: true })), digest: digestOf(text), records };
  }
}

/** Changes whenever the file is replaced or rewritten: inode (rename), size, and nanosecond times. */
function signatureOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

/**
 * A digest of the file's bytes: equal digests mean an unchanged file. Change detection of our own file, not
 * security (whoever can write the file can do anything with it), so SHA-1 for its speed: 63 MB in ~30 ms here,
 * against ~140 ms for SHA-256.
 */
function digestOf(bytes: string | Uint8Array): string {
  return createHash("sha1").update(bytes).digest("base64");
}
