import { rm, stat } from "node:fs/promises";
import { listAuditFiles } from "./audit-files.js";

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
  for (const file of await listAuditFiles(options.path)) {
    if (file.rank === 0) continue;
    const st = await stat(file.path).catch(() => undefined);
    if (st === undefined || st.mtimeMs >= cutoff) continue;
    // Rows first: a query between the two steps finds fewer records, never records of a missing file.
    await options.index?.forget(file.path);
    await rm(file.path, { force: true });
    removed.push(file.path);
  }
  return removed;
}
