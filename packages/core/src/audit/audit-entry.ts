import { performance } from "node:perf_hooks";
import { isLocationUid, isOrgSlug, isRequestId } from "../ids.js";
import { isCallMethod, matchRoute, MAX_PATH_LENGTH } from "../isolation/index.js";
import type { AuditPhase, AuditRecord } from "./audit-record.js";

/** The `location_uid` of a line about no one location: a listing, an audit query over all of them. */
export const AUDIT_ANY_LOCATION = "*";
/** What a line says in place of a caller's value that breaks its rule: the value itself never reaches the trail. */
export const AUDIT_INVALID_VALUE = "{invalid}";
/** The `method` of every router operation (RPC) line, refused or not. */
export const AUDIT_RPC_METHOD = "RPC";
/** The `method` of every inbound event line. */
export const AUDIT_EVENT_METHOD = "EVENT";
/**
 * The longest line `buildAuditRecord` can produce, in UTF-8 bytes with its hash and newline: every field is
 * either one of the router's own values or checked against its rule, so no caller can make a line longer.
 */
export const MAX_AUDIT_LINE_BYTES = 1_024;
/** Longest caller name written; names come from the operator's settings, this only bounds a careless one. */
const MAX_CALLER_CHARS = 64;
// RPC names are the service's method names; error codes the ERR_LOC_* catalog.
const RPC_NAME = /^[A-Za-z]{1,64}$/;
const ERROR_CODE = /^ERR_LOC_[A-Z_]{1,48}$/;
// Podium's event types are `family.action` ("contact.created"); `{unverified}` names a request that never proved one.
const EVENT_ENDPOINT = /^(?:[a-z_]{1,32}\.[a-z_]{1,32}|\{unverified\})$/;
// Controls, bidi and zero-width characters: a caller name is operator text, but never rewrites a terminal.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g;

/** What an audit line is about: a Podium call, or one of the router's own operations (RPCs). */
export type AuditSubject =
  /** A Podium call, routed or refused at the edge: written as its route template, never the raw path or query. */
  | { readonly kind: "call"; readonly method: string; readonly path: string; readonly route?: string | undefined }
  /**
   * A router operation (onboarding, removal, an audit query, consent), or an RPC refused at the edge: written as
   * `router:<rpc>`, with "RPC" in the method column whether it was allowed or refused.
   */
  | { readonly kind: "rpc"; readonly rpc: string }
  /**
   * An inbound Podium event (a webhook), received or refused: `endpoint` is the event type (or `{unverified}` when the
   * request never proved to be an event of a known type), `method` is `EVENT`.
   */
  | { readonly kind: "event"; readonly eventType: string };

/**
 * Everything one audit line says, as one object. Every line of the trail (routed calls, admin RPCs,
 * onboarding, consent, edge refusals) is built from one of these by `buildAuditRecord`, so a new column is
 * added here and nowhere else.
 */
export interface AuditEntry {
  readonly subject: AuditSubject;
  readonly locationUid: string;
  /** The location's organization slug; "" for a location that is not registered. @default "" */
  readonly orgSlug?: string | undefined;
  /** The router's request id; "" when the caller's own id was refused. */
  readonly requestId: string;
  /** Podium's status; 0 when nothing was sent (a refusal). Operations write 200 when they succeed. @default 0 */
  readonly status?: number | undefined;
  /** `performance.now()` when the work began; latency_ms is the time since. @default now (latency 0) */
  readonly startedAt?: number | undefined;
  /** The authenticated caller's name. */
  readonly caller?: string | undefined;
  /** The ERR_LOC_* code of a refusal or failure. */
  readonly errorCode?: string | undefined;
  /** When it happened, ISO 8601 UTC. @default now */
  readonly ts?: string | undefined;
  /**
   * `"sent"`: the call is about to leave for Podium (the pipeline's "before send" point). The router's writer
   * refuses it when the audit log cannot take lines (audit.on_failure), and for a write under
   * `audit.fsync: always` writes it as an intent line and resolves once that line is durable. @default none
   */
  readonly phase?: AuditPhase | undefined;
}

/** Where audit entries go: the router's one writer, which fills in the organization slug and appends the line. */
export type RecordAudit = (entry: AuditEntry) => void;

/**
 * The same writer as the call pipeline sees it: it returns a promise when the call must wait for its line to be
 * durable (a write's intent line before sending, a write's outcome line before answering, under
 * `audit.fsync: always`), which rejects with AuditUnavailableError when the line cannot be made durable; and it
 * throws AuditUnavailableError for a `phase: "sent"` entry the audit log cannot take (audit.on_failure).
 */
export type RecordCallAudit = (entry: AuditEntry) => Promise<void> | undefined;

/**
 * The audit record of one entry: the fixed fields, then `caller`, `error_code` and `phase` only when present. Each
 * field is one the router made or a value that follows its rule (a uid, a request id, a method, a slug);
 * anything else is written as {@link AUDIT_INVALID_VALUE}, so a caller's text never reaches the trail and a
 * line stays under {@link MAX_AUDIT_LINE_BYTES} whatever it sent. The server refuses such values before
 * the core sees them; this is the second line of defence.
 */
export function buildAuditRecord(entry: AuditEntry): AuditRecord {
  const { subject } = entry;
  const record: AuditRecord = {
    ts: entry.ts ?? new Date().toISOString(),
    location_uid: auditLocationUid(entry.locationUid),
    org_slug: entry.orgSlug === undefined || entry.orgSlug === "" ? "" : isOrgSlug(entry.orgSlug) ? entry.orgSlug : AUDIT_INVALID_VALUE,
    endpoint: subject.kind === "call" ? callEndpoint(subject) : subject.kind === "event" ? eventEndpoint(subject.eventType) : `router:${RPC_NAME.test(subject.rpc) ? subject.rpc : AUDIT_INVALID_VALUE}`,
    method: subject.kind === "call" ? (isCallMethod(subject.method) ? subject.method : AUDIT_INVALID_VALUE) : subject.kind === "event" ? AUDIT_EVENT_METHOD : AUDIT_RPC_METHOD,
    status: entry.status ?? 0,
    request_id: entry.requestId === "" || isRequestId(entry.requestId) ? entry.requestId : AUDIT_INVALID_VALUE,
    latency_ms: entry.startedAt === undefined ? 0 : round2(performance.now() - entry.startedAt),
  };
  if (entry.caller) record.caller = entry.caller.slice(0, MAX_CALLER_CHARS).replace(UNPRINTABLE, "?");
  if (entry.errorCode) record.error_code = ERROR_CODE.test(entry.errorCode) ? entry.errorCode : AUDIT_INVALID_VALUE;
  if (entry.phase === "sent") record.phase = "sent";
  return record;
}

/** A line's `location_uid`: a uid by the one rule, the any-location mark, or the invalid mark. */
function auditLocationUid(uid: string): string {
  return uid === AUDIT_ANY_LOCATION || isLocationUid(uid) ? uid : AUDIT_INVALID_VALUE;
}

/** A call's endpoint: the route the guard matched, else the template for its method and path (never the raw path). */
function callEndpoint(subject: Extract<AuditSubject, { kind: "call" }>): string {
  if (subject.route !== undefined) return subject.route;
  const method = String(subject.method);
  const path = String(subject.path);
  // A method or path no call may have names no route: skip matching a long value.
  return isCallMethod(method) && path.length <= MAX_PATH_LENGTH ? endpointOf(method, path) : AUDIT_INVALID_VALUE;
}

/** The route template for the audit line: never a raw identifier (phone, email) and never a query. */
export function endpointOf(method: string, path: string): string {
  const q = path.indexOf("?");
  const pathname = q === -1 ? path : path.slice(0, q);
  const m = matchRoute(method.toUpperCase(), pathname);
  if (m) return m.route.template;
  // Unknown route: keep only the literal prefix so no identifier can leak.
  // Podium's resource names are lower-case words ("contacts", "campaign_interactions"); anything else
  // in that position could be an identifier, so it is not written.
  const first = pathname.startsWith("/v4/") ? (pathname.split("/")[2] ?? "") : "";
  return /^[a-z_]{1,40}$/.test(first) ? `/v4/${first}/{unmatched}` : AUDIT_INVALID_VALUE;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** An event line's endpoint: the event type when it has the shape of one, else {@link AUDIT_INVALID_VALUE}. */
function eventEndpoint(eventType: string): string {
  return EVENT_ENDPOINT.test(eventType) ? eventType : AUDIT_INVALID_VALUE;
}
