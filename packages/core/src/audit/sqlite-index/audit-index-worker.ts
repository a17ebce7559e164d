/**
 * Worker thread of a big index refresh: reads, scans, interns and packs one file's lines at a time
 * (runFilePass) while the main thread writes the batches to SQLite. Started by PassWorker with the
 * main dictionary's state; at most two batches wait for the main thread's acknowledgement, so memory
 * stays bounded however fast the file is read.
 * @internal
 */
import { parentPort, workerData } from "node:worker_threads";
import { AuditDictionary } from "./audit-dictionary.js";
import type { EncodedBatch } from "./audit-index-batch.js";
import { runFilePass, type Made, type PassJob, type PassProgress } from "./audit-file-pass.js";

const port = parentPort!;
const dict = new AuditDictionary();
dict.learn(workerData.dict as Made);
const IN_FLIGHT = 2;
let sent = 0;
let acked = 0;
let wake: (() => void) | undefined;

const transfer = (enc: EncodedBatch): ArrayBuffer[] => [enc.data, enc.runs.buffer as ArrayBuffer, enc.ridA.buffer as ArrayBuffer, enc.ridB.buffer as ArrayBuffer];

/** Waits until fewer than IN_FLIGHT messages with batches wait for the main thread. */
async function room(): Promise<void> {
  while (sent - acked >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
  sent++;
}

/** Passes run one after another, in the order the main thread sent them. */
let queue: Promise<void> = Promise.resolve();

port.on("message", (msg: { type: "ack" } | { type: "pass"; id: number; job: PassJob }) => {
  if (msg.type === "ack") {
    acked++;
    wake?.();
    return;
  }
  const { id, job } = msg;
  queue = queue.then(() =>
    runFilePass(job, dict, {
      async batch(enc: EncodedBatch, made: Made, progress: PassProgress) {
        await room();
        port.postMessage({ type: "batch", id, enc, made, progress }, transfer(enc));
      },
      warn(message: string) {
        port.postMessage({ type: "warn", id, message });
      },
    }).then(
      async (end) => {
        await room();
        port.postMessage({ type: "end", id, end }, transfer(end.enc));
      },
      (err: unknown) => port.postMessage({ type: "error", id, message: (err as Error)?.message ?? String(err), code: (err as NodeJS.ErrnoException)?.code }),
    ),
  );
});
