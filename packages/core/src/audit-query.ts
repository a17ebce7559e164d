import { open, readdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { compileAuditQuery, parseAuditLine } from "./audit-record.js";
import type { AuditQuery, AuditRecord } from "./location-router-api.js";

/**
 * The audit files oldest first: rotated copies `<name>.<N>` (as logrotate leaves them; higher N is
 * older; compressed ones are not read), then the live file.
 */
async function auditFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [path];
  }
  const rotated = names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ n, k: Number(n.slice(prefix.length)) }))
    .sort((a, b) => b.k - a.k)
    .map(({ n }) => join(dir, n));
  return [...rotated, path];
}

/**
 * Scans the audit JSONL file(s) and yields matching records, oldest first. A line that is not a
 * complete record (a last line cut by a crash, a stray edit) is skipped and reported through `warn`
 * by file and line number, never by content; the lines after it are still read.
 * @internal
 */
export async function* readAuditRecords(
  path: string,
  q: AuditQuery,
  warn: (err: Error) => void,
): AsyncGenerator<AuditRecord, void, undefined> {
  let left = q.limit ?? Infinity;
  if (left <= 0) return;
  const filter = compileAuditQuery(q);
  for (const file of await auditFiles(path)) {
    let fh;
    try {
      fh = await open(file, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // nothing written yet
      throw err;
    }
    const input = fh.createReadStream({ encoding: "utf8", autoClose: false });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let lineNo = 0;
    try {
      for await (const line of lines) {
        lineNo++;
        if (line === "") continue;
        if (filter.needle !== undefined && !line.includes(filter.needle)) continue;
        const rec = parseAuditLine(line);
        if (rec === undefined) {
          warn(new Error(`audit log ${file}: line ${lineNo} is not a complete audit record (truncated write?); skipped`));
          continue;
        }
        if (!filter.matches(rec)) continue;
        yield rec;
        if (--left <= 0) return;
      }
    } finally {
      lines.close();
      input.destroy();
      await fh.close().catch(() => undefined);
    }
  }
}
