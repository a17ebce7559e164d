import { rm, stat } from "node:fs/promises";
import { splitChainedLine } from "./audit-chain.js";
import { listAuditFiles, type AuditFile } from "./audit-files.js";
import { firstLineOf, lastLineOf } from "./audit-tail.js";

/** Options of applyAuditRetention(). */
export interface AuditRetentionOptions {
  /** The live audit file; only its rotated copies (`.N`, `.N.gz`) are ever removed. */
  path: string;
  /** Keep rotated files written to within this many days; 0 keeps every file. */
  retentionDays: number;
  /** The index to drop the files' rows from before they go. */
  index?: { forget(filePath: string): Promise<boolean> } | undefined;
  /** @default Date.now() */
  now?: number | undefined;
  /**
   * Records where the kept trail starts (the oldest kept line's hash and the hash it chains from) before any
   * file is removed; when it rejects, nothing is removed.
   */
  anchor?: ((start: { prevHash: string; firstHash: string }) => Promise<void>) | undefined;
}

const DAY_MS = 86_400_000;

/**
 * Removes whole rotated audit files last written (mtime: logrotate and gzip keep it) more than
 * `retentionDays` ago, and their index rows; never the live file, never part of a file. Returns the
 * removed paths. The chain stays verifiable: the oldest kept file then starts from a line no longer
 * kept, which `verifyAuditChain` accepts as the start.
 */
export async function applyAuditRetention(options: AuditRetentionOptions): Promise<string[]> {
  if (!(options.retentionDays > 0)) return [];
  const cutoff = (options.now ?? Date.now()) - options.retentionDays * DAY_MS;
  const removed: string[] = [];
  const doomed: AuditFile[] = [];
  let kept: AuditFile | undefined;
  for (const file of await listAuditFiles(options.path)) {
    const st = file.rank === 0 ? undefined : await stat(file.path).catch(() => undefined);
    if (file.rank !== 0 && st === undefined) continue;
    // Oldest first, and only while they are old enough: the kept trail stays one run of files.
    if (file.rank === 0 || st!.mtimeMs >= cutoff) {
      kept = file;
      break;
    }
    doomed.push(file);
  }
  if (doomed.length === 0) return [];
  if (options.anchor !== undefined) {
    const prev = splitChainedLine((await lastLineOf(doomed.at(-1)!)) ?? "")?.hash;
    const first = kept === undefined ? undefined : splitChainedLine((await firstLineOf(kept).catch(() => undefined)) ?? "")?.hash;
    // An empty live file as the only one kept: the writer anchors its first line when it writes one.
    if (prev !== undefined && first !== undefined) await options.anchor({ prevHash: prev, firstHash: first });
  }
  for (const file of doomed) {
    // Rows first: a query between the two steps finds fewer records, never records of a missing file.
    await options.index?.forget(file.path);
    await rm(file.path, { force: true });
    removed.push(file.path);
  }
  return removed;
}
