import type { AuditDictionary, Combo } from "./audit-dictionary.js";
import { AuditLineSplitter, MAX_AUDIT_LINE_BYTES, readAuditBytes, readAuditBytesSync, type AuditFile, type AuditLineSink } from "../audit-files.js";
import { encodeBatch, SegmentBatch, type EncodedBatch } from "./audit-index-batch.js";
import { newLineFields } from "./audit-line-fields.js";
import { scanAuditLine } from "./audit-line-parser.js";

/** One file's new lines to index: where to start and how the segments stand. @internal */
export interface PassJob {
  file: AuditFile;
  /** Byte offset (decompressed for gz) and line count already indexed. */
  from: number;
  lines: number;
  /** Read up to here (plain files): the size when the refresh looked. */
  upTo: number;
  /** Rows in the file's open segment (0: the first batch starts a new one), and rows per segment. */
  segRows: number;
  segmentLines: number;
}

/** Where a pass has got to, after the lines of a batch. @internal */
export interface PassProgress {
  offset: number;
  lines: number;
}

/** Interned strings and combos made while staging a batch: rows to insert with it. @internal */
export interface Made {
  strs: [number, number, string][];
  combos: [number, Combo][];
}

/** What receives a pass's output: full segments as they fill, warnings as they happen. @internal */
export interface PassSink {
  batch(enc: EncodedBatch, made: Made, progress: PassProgress): void | Promise<void>;
  warn(message: string): void;
}

/** The end of a pass: the last (partial) batch, for the caller to write with the file's final state. @internal */
export interface PassEnd {
  enc: EncodedBatch;
  made: Made;
  progress: PassProgress;
  /** Bytes after the last newline (a line being written, or cut by a crash). */
  carried: number;
  /** Warnings not told one by one (beyond the first few per file), to count. */
  suppressed: number;
}

const WARNINGS_PER_FILE = 10;
/** New bytes read in one synchronous read (what a refresh between queries usually finds). */
const SMALL_READ = 256 * 1024;

/**
 * Reads one file's lines after `job.from`, scans and stages them with ids from `dict`, and hands
 * each full segment's batch to the sink (awaiting it: the sink may be a thread boundary with flow
 * control). Bad lines are skipped with a warning naming the file and line, never the content. Runs on
 * the main thread for small reads, in a worker thread for big ones (same code).
 * @internal
 */
export async function runFilePass(job: PassJob, dict: AuditDictionary, sink: PassSink): Promise<PassEnd> {
  const { file } = job;
  let { lines } = job;
  let offset = job.from;
  let base = job.segRows >= job.segmentLines ? 0 : job.segRows;
  let batch = new SegmentBatch(job.segmentLines);
  const fields = newLineFields();
  let told = 0;
  let suppressed = 0;
  const warn = (what: string): void => {
    if (++told <= WARNINGS_PER_FILE) sink.warn(`audit index: ${file.path} line ${lines}: ${what}; skipped`);
    else suppressed++;
  };
  /** Full batches wait here while the sink is busy with the one before (at most one is pending). */
  const full: { enc: EncodedBatch; made: Made; progress: PassProgress }[] = [];
  const lineSink: AuditLineSink = {
    line(text, s, e, bytes, noEscapes) {
      lines++;
      offset += bytes;
      if (e === s) return; // a blank line carries nothing
      const fault = scanAuditLine(text, fields, s, e, noEscapes);
      if (fault !== undefined) return warn(fault);
      if (fields.unknownFields > 0) warn(`${fields.unknownFields} unknown field(s) not indexed; the record's own fields are`);
      batch.stage(fields, dict);
      if (base + batch.size >= job.segmentLines) {
        full.push({ enc: encodeBatch(batch, base), made: dict.drain(), progress: { offset, lines } });
        batch = new SegmentBatch(job.segmentLines);
        base = 0;
      }
    },
    overlong(bytes) {
      lines++;
      offset += bytes;
      warn(`longer than ${MAX_AUDIT_LINE_BYTES} bytes`);
    },
  };
  const splitter = new AuditLineSplitter();
  const drain = async (): Promise<void> => {
    for (let b = full.shift(); b !== undefined; b = full.shift()) await sink.batch(b.enc, b.made, b.progress);
  };
  if (!file.gz && job.upTo - job.from <= SMALL_READ) {
    splitter.push(readAuditBytesSync(file.path, job.from, job.upTo), lineSink);
  } else {
    for await (const chunk of readAuditBytes(file, job.from, file.gz ? Number.POSITIVE_INFINITY : job.upTo)) {
      splitter.push(chunk, lineSink);
      await drain();
    }
  }
  await drain();
  if (suppressed > 0) sink.warn(`audit index: ${file.path}: ${suppressed} more line(s) skipped`);
  return { enc: encodeBatch(batch, base), made: dict.drain(), progress: { offset, lines }, carried: splitter.carried, suppressed };
}
