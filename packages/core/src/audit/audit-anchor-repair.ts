import { AUDIT_GENESIS_HASH, auditChainHash, splitChainedLine } from "./audit-chain.js";
import { signSeal, type AuditCheckpointStore } from "./audit-checkpoints.js";
import { listAuditFiles } from "./audit-files.js";
import { firstLineOf, lastLineOf } from "./audit-tail.js";

/**
 * Records the anchor of the live file and of the newest rotated one when the store lacks it and the file's first
 * line provably starts there: it chains from the genesis hash, or from the last line of the file before it.
 * Nothing else is anchored, so a first line deleted or edited by hand never is.
 */
export async function repairFileAnchors(path: string, store: AuditCheckpointStore, key: Uint8Array | undefined): Promise<void> {
  const files = (await listAuditFiles(path)).filter((f) => !f.gz);
  let anchored: Set<string> | undefined;
  // The live file and the newest rotated one: only the most recent file start can have lost its anchor.
  for (let i = Math.max(0, files.length - 2); i < files.length; i++) {
    const first = splitChainedLine((await firstLineOf(files[i]!).catch(() => undefined)) ?? "");
    if (first === undefined) continue;
    anchored ??= new Set((await store.read()).anchors.map((a) => a.first_hash));
    if (anchored.has(first.hash)) continue;
    const before = i > 0 ? files[i - 1] : undefined;
    const last = before === undefined ? undefined : splitChainedLine((await lastLineOf(before).catch(() => undefined)) ?? "")?.hash;
    const prev = [AUDIT_GENESIS_HASH, last].find((p) => p !== undefined && auditChainHash(p, first.canonical) === first.hash);
    if (prev === undefined) continue;
    await store.add(signSeal({ kind: "anchor", ts: new Date().toISOString(), prev_hash: prev, first_hash: first.hash, reason: "file_start" }, key));
    anchored.add(first.hash);
  }
}
