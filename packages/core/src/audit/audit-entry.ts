import { performance } from "node:perf_hooks";
import { matchRoute } from "../isolation/index.js";
import type { AuditPhase, AuditRecord } from "./audit-record.js";

/** What an audit line is about: a Podium call, or one of the router's own operations (RPCs). */
export type AuditSubject =
  /** A Podium call, routed or refused at the edge: written as its route template, never the raw path or query. */
  | { readonly kind: "call"; readonly method: string; readonly path: string; readonly route?: string | undefined }
  /**
   * A router operation (onboarding, removal, an audit query, consent), or an RPC refused at the edge: written as
   * `router:<rpc>`. The method column says "RPC"; a refusal at the edge has always written the RPC's name there.
   */
  | { readonly kind: "rpc"; readonly rpc: string; readonly method?: string | undefined }
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

/** The audit record of one entry: the fixed fields, then `caller`, `error_code` and `phase` only when present. */
export function buildAuditRecord(entry: AuditEntry): AuditRecord {
  const { subject } = entry;
  const record: AuditRecord = {
    ts: entry.ts ?? new Date().toISOString(),
    location_uid: entry.locationUid,
    org_slug: entry.orgSlug ?? "",
    endpoint: subject.kind === "call" ? (subject.route ?? endpointOf(String(subject.method), String(subject.path))) : subject.kind === "event" ? subject.eventType : `router:${subject.rpc}`,
    method: subject.kind === "call" ? subject.method : subject.kind === "event" ? "EVENT" : (subject.method ?? "RPC"),
    status: entry.status ?? 0,
    request_id: entry.requestId,
    latency_ms: entry.startedAt === undefined ? 0 : round2(performance.now() - entry.startedAt),
  };
  if (entry.caller) record.caller = entry.caller;
  if (entry.errorCode) record.error_code = entry.errorCode;
  if (entry.phase === "sent") record.phase = "sent";
  return record;
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
  return /^[a-z_]{1,40}$/.test(first) ? `/v4/${first}/{unmatched}` : "{invalid}";
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
