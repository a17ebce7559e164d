import {
  AUTHORIZATION_STATE_RULE,
  CALL_METHOD_RULE,
  CALL_METHODS,
  isAuthorizationState,
  isCallMethod,
  isLocationUid,
  isPodiumEventType,
  isOAuthScope,
  isOrgSlug,
  isRefreshTokenValue,
  isRequestId,
  LOCATION_UID_RULE,
  MAX_PATH_LENGTH,
  OAUTH_SCOPE_RULE,
  ORG_SLUG_RULE,
  REFRESH_TOKEN_RULE,
  REQUEST_ID_RULE,
} from "@podium-router/core";
import { BadRequestError } from "@podium-router/errors";
import type { ErrorScope } from "./errors.js";
import { isPrintable, quoteValue } from "./wire-text.js";

/**
 * The shape and length of every string field of every LocationRouterService request, checked before the
 * core, an error message or the audit log sees the value. Identifiers follow the core's one rule for each
 * (ids.ts, call-methods.ts); a refusal names the field and the rule and quotes at most a short, sanitised
 * prefix of the value.
 */

/** One field's rule: the test and how a refusal states it. */
export interface FieldRule {
  readonly test: (value: string) => boolean;
  readonly rule: string;
  /** The value is a secret: a refusal never quotes any of it. @default false */
  readonly secret?: boolean | undefined;
}

/** Most event types one WatchEvents may filter by: Podium documents 26. */
export const MAX_EVENT_TYPES = 64;
/** Most OAuth scopes one consent may ask for: Podium defines a few dozen. */
export const MAX_SCOPES = 64;
/** The methods an audit query may filter by: a call's HTTP method, or RPC for the router's own operations. */
const AUDIT_METHODS: ReadonlySet<string> = new Set([...CALL_METHODS, "RPC"]);
const STATUS_CLASSES: ReadonlySet<string> = new Set(["2xx", "3xx", "4xx", "5xx"]);

/** The rules, by what the field holds. */
export const fieldRules = Object.freeze({
  locationUid: { test: isLocationUid, rule: LOCATION_UID_RULE },
  requestId: { test: isRequestId, rule: REQUEST_ID_RULE },
  method: { test: isCallMethod, rule: CALL_METHOD_RULE },
  // The guard checks the path's form (normalised, /v4/...) and refuses in detail; here only its size and
  // that it is text at all, so no later step handles a 300,000-character or binary value.
  path: { test: (v: string) => v.length <= MAX_PATH_LENGTH && isPrintable(v), rule: `a /v4/... path of 1-${MAX_PATH_LENGTH} printable characters` },
  orgSlug: { test: isOrgSlug, rule: ORG_SLUG_RULE },
  secretToken: { test: isRefreshTokenValue, rule: REFRESH_TOKEN_RULE, secret: true },
  scope: { test: isOAuthScope, rule: OAUTH_SCOPE_RULE },
  authorizationState: { test: isAuthorizationState, rule: AUTHORIZATION_STATE_RULE },
  auditMethod: { test: (v: string) => AUDIT_METHODS.has(v.toUpperCase()), rule: `one of ${[...AUDIT_METHODS].join(", ")}` },
  eventType: { test: isPodiumEventType, rule: "one of Podium's event types, e.g. contact.created" },
  // The event log's cursors are its per-location sequence numbers.
  eventCursor: { test: (v: string) => /^[0-9]{1,20}$/.test(v), rule: "an event cursor (1-20 digits)" },
  statusClass: { test: (v: string) => STATUS_CLASSES.has(v), rule: '"2xx", "3xx", "4xx" or "5xx"' },
} satisfies Record<string, FieldRule>);

/** A field that must be set. */
export const REQUIRED = "required";
/** A field whose empty value means "none" (a filter, an optional id). */
export const OPTIONAL = "optional";

/** One field of a request to check: its name on the wire, its value, its rule, and whether it may be empty. */
export type FieldCheck = readonly [field: string, value: string, rule: FieldRule, presence: typeof REQUIRED | typeof OPTIONAL];

/**
 * Throws BadRequestError (ERR_LOC_BAD_REQUEST, in `scope`) for the first field that breaks its rule, naming
 * the field and the rule and quoting at most a short, sanitised prefix of the value.
 */
export function checkFields(scope: ErrorScope, fields: Iterable<FieldCheck>): void {
  for (const [field, value, { test, rule, secret }, presence] of fields) {
    if (value === "" ? presence === OPTIONAL : test(value)) continue;
    const got = value === "" ? "it is empty" : secret === true ? "the value is not shown" : `got ${quoteValue(value)}`;
    throw new BadRequestError(scope, `${field} must be ${rule}; ${got}`);
  }
}

/** Throws BadRequestError when a repeated field has more than `max` values. */
export function checkCount(scope: ErrorScope, field: string, count: number, max: number): void {
  if (count > max) throw new BadRequestError(scope, `${field} may list at most ${max} values; got ${count}`);
}
