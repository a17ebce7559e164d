/**
 * The audit trail: one JSONL line per call, hash-chained, batched and fsynced by policy, rotated and reopened,
 * verified, queried (through the SQLite index in sqlite-index/), and pruned by retention.
 */
export { AUDIT_GENESIS_HASH } from "./audit-chain.js";
export { AUDIT_ANY_LOCATION, AUDIT_INVALID_VALUE, AUDIT_RPC_METHOD, MAX_AUDIT_LINE_BYTES } from "./audit-entry.js";
export { createAuditLog } from "./audit-log.js";
export type { AuditLog } from "./audit-log.js";
export type { AuditPhase, AuditQuery, AuditRecord } from "./audit-record.js";
export { runAuditVerify, verifyAuditChain } from "./audit-verify.js";
export type { AuditVerifyResult } from "./audit-verify.js";

// Internal: used by other folders of the core, not part of the package's API.
export { buildAuditRecord, endpointOf } from "./audit-entry.js";
export type { AuditEntry, RecordAudit, RecordCallAudit } from "./audit-entry.js";
export {
  DEFAULT_AUDIT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_AUDIT_FSYNC,
  DEFAULT_AUDIT_FSYNC_INTERVAL_MS,
  DEFAULT_AUDIT_MAX_PENDING_BYTES,
  DEFAULT_AUDIT_ON_FAILURE,
  DEFAULT_AUDIT_PATH,
  DEFAULT_AUDIT_RETENTION_DAYS,
} from "./audit-log-options.js";
export type { AuditFailurePolicy, AuditLogOptions } from "./audit-log-options.js";
export type { AuditWriterEvent } from "./audit-writer.js";
export { AUDIT_RETRY_DELAY_MS } from "./audit-writer.js";
export { auditCheckpointPathFor, createFileCheckpointStore, parseSeal, signSeal } from "./audit-checkpoints.js";
export type { AuditAnchor, AuditCheckpoint, AuditCheckpointStore, AuditSeal, AuditSeals } from "./audit-checkpoints.js";
export type { AuditVerifyOptions } from "./audit-verify.js";
