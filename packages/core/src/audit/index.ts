/**
 * The audit trail: one JSONL line per call, hash-chained, batched and fsynced by policy, rotated and reopened,
 * verified, queried (through the SQLite index in sqlite-index/), and pruned by retention.
 */
export { AUDIT_GENESIS_HASH, auditChainHash } from "./audit-chain.js";
export { listAuditFiles } from "./audit-files.js";
export type { AuditFile } from "./audit-files.js";
export { createAuditLog, DEFAULT_AUDIT_MAX_BUFFERED_BYTES, DEFAULT_AUDIT_ROTATION_CHECK_MS } from "./audit-log.js";
export type { AuditLog, AuditLogOptions } from "./audit-log.js";
export type { AuditQuery, AuditRecord } from "./audit-record.js";
export { applyAuditRetention } from "./audit-retention.js";
export type { AuditRetentionOptions } from "./audit-retention.js";
export { runAuditVerify, verifyAuditChain } from "./audit-verify.js";
export type { AuditChainBreak, AuditVerifyIo, AuditVerifyResult } from "./audit-verify.js";
export type { AuditFsyncPolicy } from "./audit-writer.js";
export { createAuditIndex, DEFAULT_AUDIT_SEGMENT_LINES } from "./sqlite-index/audit-index.js";
export type { AuditIndex, AuditIndexOptions, AuditIndexRefresh } from "./sqlite-index/audit-index.js";

// Internal: used by other folders of the core, not part of the package's API.
export { buildAuditRecord, endpointOf } from "./audit-entry.js";
export type { AuditEntry, RecordAudit } from "./audit-entry.js";
