/**
 * Records about the audit chain kept outside the log file, so whoever can edit the log cannot also move its
 * ends unnoticed:
 * - an *anchor* says where a file of the trail starts: its first line's hash and the hash that line chains
 *   from. The writer records one when it writes the first line of a file (a new log, after a rotation or a
 *   copytruncate), and retention one for the oldest file it keeps. `audit verify` checks the first kept line
 *   against them, so an edited, deleted or inserted first line is reported.
 * - a *checkpoint* is the head of the chain at a moment: the last durable line's hash, its line number in
 *   the live file, that file's first line hash, and the time. `audit verify` reports lines missing after the
 *   last checkpoint (cut from the end) or a chain rewritten since.
 * Each record may carry an HMAC-SHA256 under a key from the settings (`audit.checkpoints.hmac_key`), so a
 * record cannot be made up by someone without the key.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../util/index.js";

/** Where a file of the trail starts. `reason`: the writer began the file, or retention removed the files before it. */
export interface AuditAnchor {
  readonly kind: "anchor";
  readonly ts: string;
  readonly prev_hash: string;
  readonly first_hash: string;
  readonly reason: "file_start" | "retention";
  readonly hmac?: string | undefined;
}

/** The head of the chain at `ts`: line `lines` of the live file (whose first line has hash `file_head`) has hash `head_hash`. */
export interface AuditCheckpoint {
  readonly kind: "checkpoint";
  readonly ts: string;
  readonly head_hash: string;
  readonly lines: number;
  readonly file_head: string;
  readonly hmac?: string | undefined;
}

export type AuditSeal = AuditAnchor | AuditCheckpoint;

/** What a store holds about one log: every anchor, and the last checkpoint. */
export interface AuditSeals {
  readonly anchors: readonly AuditAnchor[];
  readonly checkpoint: AuditCheckpoint | undefined;
}

/** Where anchors and checkpoints are kept: a file beside the log, or PostgreSQL. */
export interface AuditCheckpointStore {
  /** Names the store in messages (a path, or the database's host:port and table); never a secret. */
  readonly where: string;
  /** Adds one record durably; a checkpoint replaces the one before. */
  add(seal: AuditSeal): Promise<void>;
  read(): Promise<AuditSeals>;
  close(): Promise<void>;
}

/** The text an HMAC covers: every field but the HMAC, in a fixed order. */
function payloadOf(seal: AuditSeal): string {
  return seal.kind === "anchor"
    ? JSON.stringify(["anchor", seal.ts, seal.prev_hash, seal.first_hash, seal.reason])
    : JSON.stringify(["checkpoint", seal.ts, seal.head_hash, seal.lines, seal.file_head]);
}

/** The record signed with `key` (unchanged without one). */
export function signSeal<T extends AuditSeal>(seal: T, key: Uint8Array | undefined): T {
  if (key === undefined) return seal;
  return { ...seal, hmac: createHmac("sha256", key).update(payloadOf(seal)).digest("hex") };
}

/** True when the record carries the HMAC `key` gives it. */
export function sealSigned(seal: AuditSeal, key: Uint8Array): boolean {
  if (typeof seal.hmac !== "string" || !/^[0-9a-f]{64}$/.test(seal.hmac)) return false;
  const want = createHmac("sha256", key).update(payloadOf(seal)).digest();
  return timingSafeEqual(want, Buffer.from(seal.hmac, "hex"));
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A record read back, checked field by field; undefined when it is not one. @internal */
export function parseSeal(v: unknown): AuditSeal | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const hmac = typeof o.hmac === "string" ? o.hmac : undefined;
  if (typeof o.ts !== "string") return undefined;
  if (o.kind === "anchor" && typeof o.prev_hash === "string" && HEX64.test(o.prev_hash) && typeof o.first_hash === "string" && HEX64.test(o.first_hash)) {
    const reason = o.reason === "retention" ? "retention" : "file_start";
    return { kind: "anchor", ts: o.ts, prev_hash: o.prev_hash, first_hash: o.first_hash, reason, hmac };
  }
  if (
    o.kind === "checkpoint" &&
    typeof o.head_hash === "string" &&
    HEX64.test(o.head_hash) &&
    typeof o.file_head === "string" &&
    HEX64.test(o.file_head) &&
    typeof o.lines === "number" &&
    Number.isSafeInteger(o.lines) &&
    o.lines > 0
  ) {
    return { kind: "checkpoint", ts: o.ts, head_hash: o.head_hash, lines: o.lines, file_head: o.file_head, hmac };
  }
  return undefined;
}

/** The default checkpoint file of the log at `path`: beside it, never matched as a rotated copy. */
export const auditCheckpointPathFor = (path: string): string => `${path}.checkpoints`;

/**
 * The checkpoint file: one JSON document `{ anchors: [...], checkpoint }`, replaced atomically (written,
 * fsynced, renamed, directory fsynced) on every change, so it is always whole and never grows with time
 * beyond one anchor per log file. Created 0600.
 */
export function createFileCheckpointStore(path: string): AuditCheckpointStore {
  let cache: AuditSeals | undefined;
  // One change at a time, in order: a checkpoint never overtakes the anchor written before it.
  let queue: Promise<unknown> = Promise.resolve();
  const load = async (): Promise<AuditSeals> => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { anchors: [], checkpoint: undefined };
      throw err;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new Error(`audit checkpoint file ${path} is not JSON`);
    }
    const o = (doc ?? {}) as { anchors?: unknown; checkpoint?: unknown };
    const anchors = (Array.isArray(o.anchors) ? o.anchors : []).map(parseSeal).filter((s): s is AuditAnchor => s?.kind === "anchor");
    const cp = parseSeal(o.checkpoint);
    return { anchors, checkpoint: cp?.kind === "checkpoint" ? cp : undefined };
  };
  return {
    where: path,
    add(seal) {
      const step = queue.then(async () => {
        const now = cache ?? (await load());
        const next: AuditSeals =
          seal.kind === "anchor"
            ? { anchors: now.anchors.some((a) => a.first_hash === seal.first_hash && a.prev_hash === seal.prev_hash) ? now.anchors : [...now.anchors, seal], checkpoint: now.checkpoint }
            : { anchors: now.anchors, checkpoint: seal };
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFileAtomic(path, `${JSON.stringify(next, null, 1)}\n`);
        cache = next;
      });
      queue = step.catch(() => undefined);
      return step;
    },
    async read() {
      await queue;
      return load();
    },
    async close() {
      await queue;
    },
  };
}
