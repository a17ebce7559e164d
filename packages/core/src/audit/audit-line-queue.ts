import { chainAuditLine } from "./audit-chain.js";

/** Pending records hashed onto the chain, in append order, into one buffer: what one write puts in the file. @internal */
export interface AuditBatch {
  readonly bytes: Buffer;
  /** How much of it is in the file (a failed write resumes there). */
  offset: number;
  /** The count of records appended when it was built: all of them are written once it is. */
  readonly upTo: number;
  readonly lines: number;
  /** The hash of its last line. */
  readonly hash: string;
  /** Its first line: the hash it chains from and its own (an anchor when it starts a file). */
  readonly first: { prevHash: string; hash: string } | undefined;
}

/**
 * The memory side of the audit writer: the canonical records appended and not yet in a batch, and the batch
 * being written. It knows the chain's last hash; it touches no file.
 * @internal
 */
export class AuditLineQueue {
  /** Canonical records appended and not yet in a batch; hashed when the batch is built. */
  #pending: string[] = [];
  #pendingBytes = 0;
  #batch: AuditBatch | undefined;
  /** The hash of the last line put in a batch; undefined until the file was first opened. */
  lastHash: string | undefined;

  /** True when records wait: in the batch being written or for the next one. */
  get waiting(): boolean {
    return this.#batch !== undefined || this.#pending.length > 0;
  }

  /** True while a batch is being written. */
  get writing(): boolean {
    return this.#batch !== undefined;
  }

  /** Bytes of records appended and not yet written. */
  get unwritten(): number {
    return this.#pendingBytes + (this.#batch === undefined ? 0 : this.#batch.bytes.length - this.#batch.offset);
  }

  /** Bytes held against the memory bound: the pending records and the whole batch being written. */
  get held(): number {
    return this.#pendingBytes + (this.#batch?.bytes.length ?? 0);
  }

  push(canonical: string): void {
    this.#pending.push(canonical);
    // Counted with the hash (75 bytes) the line will carry.
    this.#pendingBytes += canonical.length + 76;
  }

  /** The batch being written; built from the pending records (`upTo`: the count appended so far) when there is none. */
  batch(upTo: number): AuditBatch {
    this.#batch ??= this.#build(upTo);
    return this.#batch;
  }

  /** The batch is in the file whole. */
  written(): void {
    this.#batch = undefined;
  }

  /** Part of a line reached the old handle; write that line again whole (a cut line was removed on open). */
  rewindToLineStart(): void {
    const batch = this.#batch;
    if (batch !== undefined && batch.offset > 0) batch.offset = batch.bytes.subarray(0, batch.offset).lastIndexOf(0x0a) + 1;
  }

  /** Hashes the pending records onto the chain, in append order, into one buffer. */
  #build(upTo: number): AuditBatch {
    let prev = this.lastHash!;
    let text = "";
    let first: AuditBatch["first"];
    for (const canonical of this.#pending) {
      const chained = chainAuditLine(prev, canonical);
      first ??= { prevHash: prev, hash: chained.hash };
      text += chained.line;
      prev = chained.hash;
    }
    const lines = this.#pending.length;
    this.lastHash = prev;
    this.#pending = [];
    this.#pendingBytes = 0;
    return { bytes: Buffer.from(text, "utf8"), offset: 0, upTo, lines, hash: prev, first };
  }
}
