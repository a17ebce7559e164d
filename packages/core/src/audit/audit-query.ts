import { AuditLineSplitter, listAuditFiles, readAuditBytes } from "./audit-files.js";
import { compileAuditQuery, parseAuditLine } from "./audit-record.js";
import type { AuditQuery, AuditRecord } from "./audit-record.js";

/**
 * Scans the audit JSONL files (rotated ones first, oldest first, gzipped ones inflated; then the live
 * file) and yields matching records in file order: the fallback when the index cannot be used. A
 * line that is not a complete record (a last line cut by a crash, a stray edit) is skipped and
 * reported through `warn` by file and line number, never by content; the lines after it are still read.
 * @internal
 */
export async function* readAuditRecords(
  path: string,
  q: AuditQuery,
  warn: (err: Error) => void,
): AsyncGenerator<AuditRecord, void, undefined> {
  let left = q.limit ?? Number.POSITIVE_INFINITY;
  if (left <= 0) return;
  const filter = compileAuditQuery(q);
  for (const file of await listAuditFiles(path)) {
    let lineNo = 0;
    const found: AuditRecord[] = [];
    const splitter = new AuditLineSplitter();
    const bad = (): void => warn(new Error(`audit log ${file.path}: line ${lineNo} is not a complete audit record (truncated write?); skipped`));
    const sink = {
      line(text: string, s: number, e: number) {
        lineNo++;
        if (e === s) return;
        const line = text.slice(s, e);
        if (filter.needle !== undefined && !line.includes(filter.needle)) return;
        const rec = parseAuditLine(line);
        if (rec === undefined) bad();
        else if (filter.matches(rec)) found.push(rec);
      },
      overlong() {
        lineNo++;
        bad();
      },
    };
    try {
      for await (const chunk of readAuditBytes(file)) {
        splitter.push(chunk, sink);
        for (const rec of found.splice(0)) {
          yield rec;
          if (--left <= 0) return;
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // not written yet, or rotated away meanwhile
      throw err;
    }
    if (splitter.carried > 0) {
      lineNo++;
      bad();
    }
  }
}
