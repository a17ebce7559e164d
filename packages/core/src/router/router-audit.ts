/**
 * The router's side of the audit contract: the log built from the settings with its checkpoint store and key,
 * and the gate every routed call passes before it is sent (fail closed, write-ahead).
 */
import { resolve } from "node:path";
import {
  AUDIT_RETRY_DELAY_MS,
  createAuditLog,
  createFileCheckpointStore,
  type AuditCheckpointStore,
  type AuditEntry,
  type AuditLog,
  type RecordAudit,
  type RecordCallAudit,
} from "../audit/index.js";
import { createPgAuditCheckpointStore, resolveSecretRef } from "../credentials/index.js";
import { AuditUnavailableError, InvalidConfigError } from "@podium-router/errors";
import type { Settings } from "../settings/index.js";
import type { CoreLogger } from "../util/index.js";

/** Shortest HMAC key accepted: 16 bytes (`openssl rand -base64 32` gives 44 characters). */
const MIN_HMAC_KEY_BYTES = 16;

/** Where this router's anchors and checkpoints go, and the key that signs them. */
export interface AuditCheckpointSetup {
  store: AuditCheckpointStore;
  key: Uint8Array | undefined;
}

/**
 * The checkpoint store for the settings (PostgreSQL with the postgres credentials backend, else the checkpoint
 * file) and the HMAC key read through its secret reference. Used by the router and by `audit verify`, so both
 * look at the same records.
 */
export async function createAuditCheckpoints(settings: Settings, env: Readonly<Record<string, string | undefined>> = process.env): Promise<AuditCheckpointSetup> {
  const cp = settings.audit.checkpoints;
  let key: Uint8Array | undefined;
  if (cp.hmacKey !== "") {
    const text = await resolveSecretRef(cp.hmacKey, env, { label: "audit.checkpoints.hmac_key" });
    key = Buffer.from(text, "utf8");
    if (key.length < MIN_HMAC_KEY_BYTES) throw new InvalidConfigError({}, `audit.checkpoints.hmac_key (${cp.hmacKey}) must hold at least ${MIN_HMAC_KEY_BYTES} bytes`);
  }
  const store =
    settings.credentials.backend === "postgres"
      ? createPgAuditCheckpointStore({ url: settings.credentials.postgres.url, schema: settings.credentials.postgres.schema, logId: cp.logId || resolve(settings.audit.path) })
      : createFileCheckpointStore(cp.path);
  return { store, key };
}

/** Builds the audit log of the settings, reporting through the logger (or process warnings without one). */
export async function createRouterAuditLog(settings: Settings, env: Readonly<Record<string, string | undefined>>, logger: CoreLogger | undefined): Promise<AuditLog> {
  const { store, key } = await createAuditCheckpoints(settings, env);
  const a = settings.audit;
  const report = logger === undefined ? (err: Error) => process.emitWarning(err) : (err: Error) => logger.error({ audit_path: a.path, err: err.message }, "audit log");
  return createAuditLog({
    path: a.path,
    fsync: a.fsync,
    fsyncIntervalMs: a.fsyncIntervalMs,
    indexPath: a.indexPath,
    retentionDays: a.retentionDays,
    maxPendingBytes: a.maxPendingBytes,
    onFailure: a.onFailure,
    checkpoints: store,
    checkpointKey: key,
    checkpointIntervalMs: a.checkpoints.intervalMs,
    onError: report,
    onWarning: logger === undefined ? undefined : (err: Error) => logger.warn({ audit_path: a.path, err: err.message }, "audit log"),
  });
}

const isRead = (method: string): boolean => method === "GET" || method === "HEAD";

/**
 * The router's one audit writer as the call pipeline (and the event receiver) sees it (RecordCallAudit):
 * - `phase: "sent"` (before send): refuses the call with ERR_LOC_AUDIT_UNAVAILABLE while the log cannot take
 *   lines (every write; reads too under `audit.on_failure: refuse_all`, or once the memory bound is reached);
 *   under `audit.fsync: always` a write's intent line is appended and the call waits until it is durable.
 *   An inbound event counts as a write, but nothing leaves for Podium: for it the entry is the gate alone.
 * - the outcome line: appended; under `always`, a write answered by Podium waits until it is durable, and the
 *   caller gets ERR_LOC_AUDIT_UNAVAILABLE (without a retry delay: Podium may have acted) if it cannot be; an
 *   event's acknowledgment (status 200) waits the same way, and is withheld (Podium retries) if it cannot be.
 */
export function createCallAudit(audit: AuditLog, settings: Settings, recordAudit: RecordAudit): RecordCallAudit {
  const writeAhead = settings.audit.fsync === "always";
  const onFailure = settings.audit.onFailure;
  return (entry: AuditEntry) => {
    const subject = entry.subject;
    const write = !(subject.kind === "call" && isRead(subject.method.toUpperCase()));
    const context = { locationUid: entry.locationUid, requestId: entry.requestId || undefined };
    if (entry.phase === "sent") {
      const full = audit.full();
      if ((!audit.writable || full) && (write || full || onFailure === "refuse_all")) {
        const why = full ? "lines waiting for it fill audit.max_pending_bytes" : (audit.failure?.message ?? "it cannot be written");
        throw new AuditUnavailableError(
          { ...context, retryAfterMs: AUDIT_RETRY_DELAY_MS },
          `the audit log cannot take this call's line (${why}); ${full || onFailure === "refuse_all" ? "calls" : "writes"} are refused until it can, and nothing was sent`,
        );
      }
      if (!(write && writeAhead) || subject.kind === "event") return undefined;
      recordAudit(entry);
      return audit.flush().catch((err: unknown) => {
        throw new AuditUnavailableError(
          { ...context, retryAfterMs: AUDIT_RETRY_DELAY_MS, cause: err },
          "the audit log could not make this write's intent line durable, so nothing was sent",
        );
      });
    }
    recordAudit(entry);
    if (!(write && writeAhead) || subject.kind === "rpc" || entry.errorCode !== undefined || !(entry.status! > 0)) return undefined;
    if (subject.kind === "event") {
      return audit.flush().catch((err: unknown) => {
        throw new AuditUnavailableError(
          { ...context, retryAfterMs: AUDIT_RETRY_DELAY_MS, cause: err },
          "the event was stored, but its audit line could not be made durable, so it is not acknowledged; Podium sends it again, and the router acknowledges it once its line can be written",
        );
      });
    }
    return audit.flush().catch((err: unknown) => {
      throw new AuditUnavailableError(
        { ...context, upstreamStatus: entry.status, cause: err },
        `Podium answered ${entry.status}, but the audit line could not be made durable, so the answer is withheld: the write may have been applied; check request id ${entry.requestId} before sending it again`,
      );
    });
  };
}

/**
 * The gate of the operations that change the router's own state (onboard, remove): throws
 * ERR_LOC_AUDIT_UNAVAILABLE (retryable) while the log cannot take lines, as a routed write is refused, so no
 * change is made that the trail would miss.
 */
export function createOperationGate(audit: Pick<AuditLog, "writable" | "full" | "failure">): (locationUid: string, requestId: string) => void {
  return (locationUid, requestId) => {
    const full = audit.full();
    if (audit.writable && !full) return;
    const why = full ? "lines waiting for it fill audit.max_pending_bytes" : (audit.failure?.message ?? "it cannot be written");
    throw new AuditUnavailableError(
      { locationUid, requestId, retryAfterMs: AUDIT_RETRY_DELAY_MS },
      `the audit log cannot take this operation's line (${why}); changes are refused until it can, and nothing was changed`,
    );
  };
}
