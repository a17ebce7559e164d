/**
 * The router's settings: `config/settings.yaml` (snake_case) → `Settings` (camelCase, fully populated).
 * `validateSettings` checks a parsed document; `loadSettings` reads the file and environment overrides
 * (see settings-env.ts) first. The top-level `server` section belongs to the server and is passed
 * through untouched in `extras`; `state` is read by state-section.ts.
 */
import { InvalidConfigError } from "@podium-router/errors";
import { isLocationUid, LOCATION_UID_RULE } from "../ids.js";
import { readCredentialsSettings } from "./credentials-section.js";
import type { CredentialsSettings } from "../credentials/index.js";
import { DEFAULT_MAX_BODY_DEPTH } from "../isolation/index.js";
import { createSectionReader, MAX_TIMER_MS } from "./settings-reader.js";
import type { OriginOf, SectionReader } from "./settings-reader.js";
import { readStateSettings } from "./state-section.js";
import { readEventsSettings, type EventsSettings } from "./events-section.js";
import { readIsolationSettings, type IsolationSettings } from "./isolation-section.js";
import { readOAuthApps } from "./oauth-apps-section.js";
import type { OAuthApps } from "../oauth/index.js";
import type { StateSettings } from "../redis/index.js";
import {
  auditCheckpointPathFor,
  DEFAULT_AUDIT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_AUDIT_FSYNC,
  DEFAULT_AUDIT_FSYNC_INTERVAL_MS,
  DEFAULT_AUDIT_MAX_PENDING_BYTES,
  DEFAULT_AUDIT_ON_FAILURE,
  DEFAULT_AUDIT_PATH,
  DEFAULT_AUDIT_RETENTION_DAYS,
  type AuditLogOptions,
} from "../audit/index.js";
import {
  DEFAULT_GROUP_BY,
  DEFAULT_LOCATION_BUDGET,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_UPSTREAM_BUDGET,
  type BucketOptions,
  type RateBudgetOptions,
} from "../budgets/index.js";
import {
  DEFAULT_BASE_URL,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_CONNECTIONS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_REQUEST_BODY_BYTES,
  DEFAULT_PODIUM_VERSION,
  DEFAULT_RETRY_BASE_DELAY_MS,
  DEFAULT_RETRY_MAX_ATTEMPTS,
  DEFAULT_RETRY_MAX_DELAY_MS,
  type UpstreamClientOptions,
  type UpstreamRetryOptions,
} from "../upstream/index.js";

/** 1 h: scope changes in Podium are rare, and a Podium 403 forces re-verification sooner. */
export const DEFAULT_VERIFICATION_TTL_SECONDS = 3_600;
/** 60 s: refresh a token this long before it expires, so no call races the expiry. */
export const DEFAULT_OAUTH_EXPIRY_MARGIN_SECONDS = 60;
/** 8 locations onboarded at once: fast for hundreds of locations, gentle on Podium's token endpoint. */
export const DEFAULT_ONBOARDING_CONCURRENCY = 8;
/** Under the git-ignored state/ folder, beside the locations file: refresh tokens obtained by consent onboarding. */
export const DEFAULT_REFRESH_TOKEN_DIR = "state/refresh-tokens";
/**
 * 20 consents pending per caller (API key): more than an operator clicks through in ten minutes, and far under
 * the per-organization cap, so one key alone can never fill an organization's.
 */
export const DEFAULT_MAX_PENDING_CONSENTS_PER_CALLER = 20;
/** 100 consents pending per organization slug: bounds memory, and what every caller together may hold open for one organization. */
export const DEFAULT_MAX_PENDING_CONSENTS_PER_ORG = 100;
/** Where `loadSettings` looks when neither a path nor PODIUM_ROUTER_SETTINGS is given. */
export const DEFAULT_SETTINGS_PATH = "config/settings.yaml";

/**
 * A section owned by a component: exactly that component's options, every default filled in, without the
 * hooks only code can set (test clocks, dispatchers, callbacks). The defaults are named and documented once,
 * on the component's options.
 */
export type Section<Options, Hooks extends keyof Options = never> = Required<Omit<Options, Hooks>>;

/** Sections owned by other components, passed through as parsed (snake_case, unvalidated). */
export interface SettingsExtras {
  /** Validated by apps/router-server. */
  server?: unknown;
}

/**
 * `audit.checkpoints`: where anchors and checkpoints of the audit chain are kept (PostgreSQL when
 * `credentials.backend` is postgres, else a file), how often, and the key that signs them.
 */
export interface AuditCheckpointSettings {
  /** The checkpoint file (file backend). @default "<audit.path>.checkpoints" */
  path: string;
  /** Least time between two checkpoints. @default 60000 */
  intervalMs: number;
  /** `env:NAME` or `file:PATH` of an HMAC key (at least 16 bytes) signing anchors and checkpoints; "" = unsigned. @default "" */
  hmacKey: string;
  /** Names this router's log in PostgreSQL; replicas sharing a database each need their own. "" = the absolute audit.path. @default "" */
  logId: string;
}

/** Every setting, camelCase, fully populated. */
export interface Settings {
  upstream: Section<UpstreamClientOptions, "dispatcher" | "random">;
  verification: {
    /** How long a successful GET /v4/locations verification stays valid; 0 verifies on every call. @default 3600 */
    ttlSeconds: number;
  };
  oauth: {
    /** Refresh an access token this long before it expires. @default 60 */
    expiryMarginSeconds: number;
  };
  budgets: Section<RateBudgetOptions, "idleMs">;
  audit: Section<Pick<AuditLogOptions, "path" | "fsync" | "fsyncIntervalMs" | "indexPath" | "retentionDays" | "maxPendingBytes" | "onFailure">> & {
    checkpoints: AuditCheckpointSettings;
  };
  onboarding: {
    /** Locations onboarded at once. @default 8 */
    concurrency: number;
    /**
     * Where onboarding by consent writes each location's refresh token (one 0600 file per location); relative to
     * the settings file's directory when loaded by loadSettings. @default "state/refresh-tokens"
     */
    refreshTokenDir: string;
    /** Consents (onboard --authorize) one caller may have pending at once; expired ones do not count. @default 20 */
    maxPendingConsentsPerCaller: number;
    /** Consents one organization slug may have pending at once, whoever began them. @default 100 */
    maxPendingConsentsPerOrg: number;
  };
  /**
   * The Podium OAuth apps callers may name (`oauth_apps.<name>`), with the references to their client ids and
   * secrets. Callers name an app, never a reference. @default none
   */
  oauthApps: OAuthApps;
  /** Where onboarded locations are stored (file or PostgreSQL) and, for PostgreSQL, its encryption keys. */
  credentials: CredentialsSettings;
  /** Where replicas share budgets, verifications and the refresh lock (state-settings.ts). */
  state: StateSettings;
  /** Inbound Podium webhooks, the per-location event log and its delivery (events-section.ts). */
  events: EventsSettings;
  /** Isolation by ownership: the owner cache's TTL and size, the paging-cursor key (isolation-section.ts). */
  isolation: IsolationSettings;
  extras: SettingsExtras;
}

// `YYYY.MM.DD`, the form of Podium's dated versions.
const PODIUM_VERSION = /^\d{4}\.\d{2}\.\d{2}$/;

/**
 * Checks a parsed settings document (snake_case) and returns it camelCase with every default filled in.
 * Throws InvalidConfigError naming the dotted key and the rule, or the unknown key with a hint.
 */
export function validateSettings(raw: unknown): Settings {
  return validateSettingsDocument(raw, () => undefined);
}

/** validateSettings, with the origin of each key (a file line or an environment variable) for its messages. */
export function validateSettingsDocument(raw: unknown, originOf: OriginOf): Settings {
  const root = createSectionReader(raw, "", originOf);

  const up = root.section("upstream");
  const baseUrl = up.url("base_url", DEFAULT_BASE_URL);
  const retryIn = up.section("retry");
  const retry: UpstreamRetryOptions = {
    maxAttempts: retryIn.int("max_attempts", DEFAULT_RETRY_MAX_ATTEMPTS, 1, 10),
    baseDelayMs: retryIn.int("base_delay_ms", DEFAULT_RETRY_BASE_DELAY_MS, 0, MAX_TIMER_MS),
    maxDelayMs: retryIn.int("max_delay_ms", DEFAULT_RETRY_MAX_DELAY_MS, 0, MAX_TIMER_MS),
  };
  if (retry.maxDelayMs < retry.baseDelayMs) {
    throw new InvalidConfigError({}, "upstream.retry.max_delay_ms must be >= upstream.retry.base_delay_ms");
  }
  retryIn.done();
  const upstream: Settings["upstream"] = {
    baseUrl,
    tokenUrl: up.url("token_url", "", { allowEmpty: true }) || `${baseUrl}/oauth/token`,
    podiumVersion: up.string("podium_version", DEFAULT_PODIUM_VERSION, { pattern: PODIUM_VERSION, rule: "must be a dated version like 2021.04.01" }),
    connectTimeoutMs: up.int("connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS, 1, MAX_TIMER_MS),
    headersTimeoutMs: up.int("headers_timeout_ms", DEFAULT_HEADERS_TIMEOUT_MS, 1, MAX_TIMER_MS),
    bodyTimeoutMs: up.int("body_timeout_ms", DEFAULT_BODY_TIMEOUT_MS, 1, MAX_TIMER_MS),
    connections: up.int("connections", DEFAULT_CONNECTIONS, 1),
    keepAliveTimeoutMs: up.int("keep_alive_timeout_ms", DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 1, MAX_TIMER_MS),
    retry,
    maxRequestBodyBytes: up.int("max_request_body_bytes", DEFAULT_MAX_REQUEST_BODY_BYTES, 1),
    // 10,000 at most: the check counts without recursion, but what parses the body afterwards may not.
    maxRequestBodyDepth: up.int("max_request_body_depth", DEFAULT_MAX_BODY_DEPTH, 1, 10_000),
  };
  up.done();

  const ver = root.section("verification");
  const verification = { ttlSeconds: ver.int("ttl_seconds", DEFAULT_VERIFICATION_TTL_SECONDS, 0, MAX_TIMER_MS / 1000) };
  ver.done();
  const oa = root.section("oauth");
  const oauth = { expiryMarginSeconds: oa.int("expiry_margin_seconds", DEFAULT_OAUTH_EXPIRY_MARGIN_SECONDS, 0) };
  oa.done();

  const bu = root.section("budgets");
  const rate = (r: ReturnType<typeof bu.section>, fallback: BucketOptions): BucketOptions => {
    const out = { ratePerMinute: r.int("rate_per_minute", fallback.ratePerMinute, 1), burst: r.int("burst", fallback.burst, 1) };
    r.done();
    return out;
  };
  const location = rate(bu.section("location"), DEFAULT_LOCATION_BUDGET);
  const overridesIn = bu.section("overrides");
  const overrides: Record<string, BucketOptions> = {};
  for (const uid of Object.keys((bu.raw("overrides") ?? {}) as object)) {
    if (!isLocationUid(uid)) {
      throw new InvalidConfigError({}, `budgets.overrides.${JSON.stringify(uid.slice(0, 40))} must be keyed by a location uid (${LOCATION_UID_RULE})`);
    }
    overrides[uid] = rate(overridesIn.section(uid), location);
  }
  overridesIn.done();
  const budgets: Settings["budgets"] = {
    location,
    upstream: rate(bu.section("upstream"), DEFAULT_UPSTREAM_BUDGET),
    groupBy: bu.oneOf("group_by", DEFAULT_GROUP_BY, ["credential", "org", "location"]),
    maxWaitMs: bu.int("max_wait_ms", DEFAULT_MAX_WAIT_MS, 0, MAX_TIMER_MS),
    overrides,
  };
  bu.done();

  const au = root.section("audit");
  const auditPath = au.string("path", DEFAULT_AUDIT_PATH);
  const audit = {
    path: auditPath,
    fsync: au.oneOf("fsync", DEFAULT_AUDIT_FSYNC, ["always", "interval", "never"]),
    fsyncIntervalMs: au.int("fsync_interval_ms", DEFAULT_AUDIT_FSYNC_INTERVAL_MS, 1, MAX_TIMER_MS),
    indexPath: au.string("index_path", `${auditPath}.index.sqlite`),
    retentionDays: au.int("retention_days", DEFAULT_AUDIT_RETENTION_DAYS, 0, 36_500),
    onFailure: au.oneOf("on_failure", DEFAULT_AUDIT_ON_FAILURE, ["refuse_writes", "refuse_all"]),
    maxPendingBytes: au.int("max_pending_bytes", DEFAULT_AUDIT_MAX_PENDING_BYTES, 65_536, 1024 * 1024 * 1024),
    checkpoints: readAuditCheckpoints(au.section("checkpoints"), auditPath),
  };
  au.done();
  const ob = root.section("onboarding");
  const onboarding = {
    concurrency: ob.int("concurrency", DEFAULT_ONBOARDING_CONCURRENCY, 1, 1000),
    refreshTokenDir: ob.string("refresh_token_dir", DEFAULT_REFRESH_TOKEN_DIR),
    maxPendingConsentsPerCaller: ob.int("max_pending_consents_per_caller", DEFAULT_MAX_PENDING_CONSENTS_PER_CALLER, 1, 100_000),
    maxPendingConsentsPerOrg: ob.int("max_pending_consents_per_org", DEFAULT_MAX_PENDING_CONSENTS_PER_ORG, 1, 100_000),
  };
  ob.done();
  const oauthApps = readOAuthApps(root);
  const cr = root.section("credentials");
  const credentials = readCredentialsSettings(cr);
  cr.done();

  const state = readStateSettings(root.section("state"));
  const events = readEventsSettings(root.section("events"), state);
  const isolation = readIsolationSettings(root.section("isolation"));

  // Owned by the server: kept as parsed, validated by its owner.
  const extras: SettingsExtras = {};
  const server = root.raw("server");
  if (server !== undefined) extras.server = server;
  root.done();
  return { upstream, verification, oauth, budgets, audit, onboarding, oauthApps, credentials, state, events, isolation, extras };
}

function readAuditCheckpoints(cp: SectionReader, auditPath: string): AuditCheckpointSettings {
  const hmacKey = cp.string("hmac_key", "", { allowEmpty: true, trim: true });
  // Checked here so a key pasted in place of its reference fails at start, never echoed.
  if (hmacKey !== "" && !/^(env|file):./.test(hmacKey)) cp.fail("hmac_key", 'must be a secret reference, "env:NAME" or "file:PATH", never the key itself');
  const out = {
    path: cp.string("path", auditCheckpointPathFor(auditPath)),
    intervalMs: cp.int("interval_ms", DEFAULT_AUDIT_CHECKPOINT_INTERVAL_MS, 1_000, MAX_TIMER_MS),
    hmacKey,
    logId: cp.string("log_id", "", { allowEmpty: true, pattern: /^[\x20-\x7e]{0,512}$/, rule: "must be at most 512 printable characters" }),
  };
  cp.done();
  return out;
}

/** The settings of an empty settings file: every default above. Frozen; validate a document to change one. */
export const defaultSettings: Readonly<Settings> = deepFreeze(validateSettings({}));

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
