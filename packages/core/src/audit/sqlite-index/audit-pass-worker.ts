import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Made, PassEnd, PassJob, PassProgress, PassSink } from "./audit-file-pass.js";
import type { EncodedBatch } from "./audit-index-batch.js";

/** The compiled worker beside this module (absent when running from TypeScript sources, as in tests). */
const WORKER_URL = new URL("./audit-index-worker.js", import.meta.url);

type FromWorker = { id: number } & (
  | { type: "batch"; enc: EncodedBatch; made: Made; progress: PassProgress }
  | { type: "warn"; message: string }
  | { type: "end"; end: PassEnd }
  | { type: "error"; message: string; code?: string }
);

interface Pass {
  sink: PassSink;
  resolve: (end: PassEnd) => void;
  reject: (err: Error) => void;
}

/**
 * A worker thread running file passes for one refresh: the main thread only writes what it sends.
 * The worker's dictionary starts from the main one's state; the main thread must not intern while
 * the worker runs (it learns the worker's new ids from each batch instead).
 * @internal
 */
export class PassWorker {
  readonly #worker: Worker;
  #failure: Error | undefined;
  readonly #passes = new Map<number, Pass>();
  #nextId = 1;

  /** Whether the compiled worker is there to start. */
  static available(): boolean {
    return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
  }

  constructor(dict: Made) {
    this.#worker = new Worker(WORKER_URL, { workerData: { dict } });
    this.#worker.on("message", (msg: FromWorker) => this.#onMessage(msg));
    this.#worker.on("error", (err) => this.#fail(err));
    this.#worker.on("exit", (code) => this.#fail(new Error(`audit index worker exited (${code})`)));
  }

  /**
   * Queues one pass in the worker (passes run in the order given, so the worker reads the next file
   * while this thread writes the last batch of the one before); the sink's batch() runs here, on the
   * main thread, as batches arrive, and the pass resolves with its last batch.
   */
  pass(job: PassJob, sink: PassSink): Promise<PassEnd> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<PassEnd>((resolve, reject) => {
      this.#passes.set(id, { sink, resolve, reject });
      this.#worker.postMessage({ type: "pass", id, job });
    });
  }

  close(): Promise<number> {
    this.#failure ??= new Error("audit index worker closed");
    return this.#worker.terminate();
  }

  #onMessage(msg: FromWorker): void {
    const pass = this.#passes.get(msg.id);
    if (pass === undefined) return;
    try {
      if (msg.type === "batch") {
        void pass.sink.batch(msg.enc, msg.made, msg.progress);
        this.#worker.postMessage({ type: "ack" });
      } else if (msg.type === "warn") {
        pass.sink.warn(msg.message);
      } else if (msg.type === "end") {
        // Acknowledged at once: the last batch waits in the caller, at most one per queued pass.
        this.#passes.delete(msg.id);
        this.#worker.postMessage({ type: "ack" });
        pass.resolve(msg.end);
      } else {
        this.#passes.delete(msg.id);
        pass.reject(Object.assign(new Error(msg.message), { code: msg.code }));
      }
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const pass of this.#passes.values()) pass.reject(err);
    this.#passes.clear();
    void this.#worker.terminate();
  }
}
