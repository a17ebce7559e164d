import { BadRequestError, LocationMismatchError } from "@podium-router/errors";
import type { CoreErrorContext } from "@podium-router/errors";
import { CALL_METHOD_RULE, isCallMethod } from "./call-methods.js";
import { DEFAULT_MAX_BODY_DEPTH, exceedsJsonDepth } from "./json-depth.js";
import { decodeSegment, splitPath } from "./path-check.js";
import { matchRoute, type PodiumRoute } from "./podium-routes.js";
import { isJsonObject } from "../util/index.js";

export { MAX_PATH_LENGTH } from "./path-check.js";

/** The call as the caller sent it. */
export interface GuardCall {
  /** Upper-case HTTP method. */
  method: string;
  /** `/v4/...` path, optionally with a query string. */
  path: string;
  /** JSON text; undefined or "" for none. */
  body?: string | undefined;
}

/** The location the call is routed to, from the registry. */
export interface GuardLocation {
  locationUid: string;
  /** The location's organization; while unknown, any organizationUid in a call is refused. */
  organizationUid?: string | undefined;
}

export interface GuardOptions {
  /** Largest accepted body in UTF-8 bytes (settings.upstream.maxRequestBodyBytes). */
  maxBodyBytes: number;
  /** Deepest accepted nesting of objects and arrays in the body (settings.upstream.maxRequestBodyDepth). @default 64 */
  maxBodyDepth?: number | undefined;
  /** The call's request id, named in every refusal. */
  requestId?: string | undefined;
}

/** A call that passed the guard, ready to send to Podium. */
export interface GuardedRequest {
  method: string;
  /** The validated path without the query. */
  pathname: string;
  /** `?...` or "" (with `locationUid` appended where Podium requires it in the query). */
  search: string;
  /** The route template (a path no operation of Podium's OpenAPI files matches is refused). */
  route: string;
  /** The operation. */
  operation: PodiumRoute;
  /** The path parameters, still percent-encoded as sent. */
  params: Record<string, string>;
  /** The body as parsed when it is a JSON object (after the guard's checks), else undefined. */
  parsed: Record<string, unknown> | undefined;
  /** The body text to send: the caller's text unchanged, or re-serialised only when a field was filled. */
  body: string | undefined;
}


const OBJECT_BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
// Field names (lower-cased, underscores removed) that name a location or an organization. Variants such as
// `location_uid` are checked too: Podium may ignore them, but refusing is cheaper than finding out.
const LOCATION_KEYS = new Set(["locationuid", "locationuids", "locations"]);
const ORGANIZATION_KEY = "organizationuid";

/**
 * Checks one call before it is sent for `location`: a normalised `/v4/...` path, an allowed method, a JSON
 * body within the size limit, and no other location or organization named in the path, query or top-level
 * body. Fills a location field Podium requires when the caller left it out.
 * Throws BadRequestError or LocationMismatchError naming the field, never echoing body values.
 */
export function guardRequest(call: GuardCall, location: GuardLocation, opts: GuardOptions): GuardedRequest {
  const uid = location.locationUid;
  const ctx: CoreErrorContext = { locationUid: uid, requestId: opts.requestId };
  const bad = (detail: string): never => {
    throw new BadRequestError(ctx, detail);
  };
  const check = createFieldChecker(location, ctx);

  const method = call.method;
  if (!isCallMethod(method)) bad(`method must be ${CALL_METHOD_RULE}`);
  const { pathname, search: rawSearch } = splitPath(call.path, bad);

  // The path itself names a location (/v4/locations/{uid}/...) or an organization (/v4/organizations/{uid}).
  const segs = pathname.split("/");
  if (segs.length > 3 && segs[2] === "locations") check.location(decodeSegment(segs[3] as string, bad), "path /v4/locations/{uid}");
  if (segs.length > 3 && segs[2] === "organizations") check.organization(decodeSegment(segs[3] as string, bad), "path /v4/organizations/{uid}");

  let queryNamesLocation = false;
  if (rawSearch !== "") {
    for (const [name, value] of new URLSearchParams(rawSearch)) {
      const bracket = name.indexOf("[");
      const base = bracket === -1 ? name : name.slice(0, bracket);
      const key = normaliseKey(base);
      // Named by its base (letters and underscores once it matched), never the caller's bracket text.
      const field = bracket === -1 ? `query.${base}` : `query.${base}[]`;
      if (LOCATION_KEYS.has(key)) {
        // `locationUids=a,b` and repeated parameters are both lists.
        for (const part of value.split(",")) check.location(part, field);
        if (name === "locationUid") queryNamesLocation = true;
      } else if (key === ORGANIZATION_KEY) {
        check.organization(value, field);
      }
    }
  }

  const text = call.body;
  let parsed: Record<string, unknown> | undefined;
  let namedKeys: string[] | undefined;
  if (text !== undefined && text !== "") {
    if (typeof text !== "string") bad("body must be JSON text");
    if (method === "GET" || method === "HEAD") bad(`a ${method} request must not have a body`);
    if (utf8ExceedsLimit(text, opts.maxBodyBytes)) bad(`body is larger than ${opts.maxBodyBytes} bytes (upstream.max_request_body_bytes)`);
    // Before the parse: nothing recursive may see a body nested deeper than the limit.
    const maxDepth = opts.maxBodyDepth ?? DEFAULT_MAX_BODY_DEPTH;
    if (exceedsJsonDepth(text, maxDepth)) bad(`body nests objects or arrays more than ${maxDepth} levels deep (upstream.max_request_body_depth)`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's message quotes the body, so it is not passed on.
      bad("body is not valid JSON");
    }
    if (isJsonObject(value)) {
      parsed = value as Record<string, unknown>;
      namedKeys = checkBodyFields(parsed, "body", check);
    } else if (OBJECT_BODY_METHODS.has(method)) {
      bad(`a ${method} body must be a JSON object`);
    }
  }

  const match = matchRoute(method, pathname);
  // Deny by default: a (method, path) outside Podium's operations has no isolation policy, so it is never sent.
  if (match === undefined) bad(`no Podium v4 operation is ${method} on this path; the router sends only the operations of its policy table (README "Isolation")`);
  const route = (match as NonNullable<typeof match>).route;
  let body = text === "" ? undefined : text;
  // Parsers disagree on duplicate keys (JSON.parse keeps the last, others the first) and we cannot see
  // through an escaped key name: when the text may hide a second location field, send what was checked.
  if (namedKeys !== undefined && mayHideDuplicate(text as string, namedKeys)) body = JSON.stringify(parsed);
  let search = rawSearch;
  // A body field can be filled into no body or an object body; a DELETE's non-object body is left alone.
  const fillable = body === undefined || parsed !== undefined;
  switch (route.fill) {
    case "body.locationUid":
      if (fillable && parsed?.["locationUid"] == null) body = JSON.stringify({ ...parsed, locationUid: uid });
      break;
    case "body.locations":
      if (fillable && parsed?.["locations"] == null) body = JSON.stringify({ ...parsed, locations: [uid] });
      break;
    case "query.locationUid":
      if (!queryNamesLocation) search = `${search === "" ? "?" : `${search}&`}locationUid=${encodeURIComponent(uid)}`;
      break;
    case undefined:
      break;
  }
  return { method, pathname, search, route: route.template, operation: route, params: (match as NonNullable<typeof match>).params, parsed, body };
}

/**
 * Checks every location and organization field of a body at any depth (e.g. `data.locationUid` of
 * /v4/messages/attachment); the depth is bounded by the guard's depth check before the parse. Returns the keys
 * (at any depth) that named one, for the duplicate-key check.
 */
function checkBodyFields(obj: Record<string, unknown>, at: string, check: ReturnType<typeof createFieldChecker>, named: string[] = []): string[] | undefined {
  for (const key of Object.keys(obj)) {
    const norm = normaliseKey(key);
    const value = obj[key];
    if (LOCATION_KEYS.has(norm)) check.locationValue(value, `${at}.${key}`);
    else if (norm === ORGANIZATION_KEY) check.organizationValue(value, `${at}.${key}`);
    else {
      if (typeof value === "object" && value !== null) checkNested(value, `${at}.${key}`, check, named);
      continue;
    }
    named.push(key);
  }
  return named.length === 0 ? undefined : named;
}

function checkNested(value: object, at: string, check: ReturnType<typeof createFieldChecker>, named: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === "object" && item !== null) checkNested(item, `${at}[]`, check, named);
  } else {
    checkBodyFields(value as Record<string, unknown>, at, check, named);
  }
}

/** The comparisons, bound to the routed location. Case-sensitive: Podium's uids are. */
function createFieldChecker(location: GuardLocation, ctx: CoreErrorContext) {
  const uid = location.locationUid;
  const org = location.organizationUid;
  const mismatch = (detail: string): never => {
    throw new LocationMismatchError(ctx, detail);
  };
  const bad = (detail: string): never => {
    throw new BadRequestError(ctx, detail);
  };
  const checker = {
    location(value: string, field: string): void {
      if (value !== uid) mismatch(`${field} names another location than ${uid}`);
    },
    organization(value: string, field: string): void {
      if (org === undefined) mismatch(`${field} names an organization, but the location's organization is not known yet; verify the location first`);
      if (value !== org) mismatch(`${field} names another organization than the location's own (${org})`);
    },
    /** A uid string, a list of uid strings or `{uid}` objects; null counts as left out. */
    locationValue(value: unknown, field: string): void {
      if (value === null) return;
      if (typeof value === "string") return checker.location(value, field);
      if (!Array.isArray(value)) return bad(`${field} must be a location uid or a list of them`);
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const itemUid = typeof item === "object" && item !== null ? (item as { uid?: unknown }).uid : item;
        if (typeof itemUid !== "string") bad(`${field}[${i}] must be a location uid or an object with a string uid`);
        checker.location(itemUid as string, `${field}[${i}]`);
      }
    },
    organizationValue(value: unknown, field: string): void {
      if (value === null) return;
      if (typeof value !== "string") return bad(`${field} must be an organization uid string`);
      checker.organization(value, field);
    },
  };
  return checker;
}

/** Whether a checked key's name occurs twice in the text, or any key could be spelt with a `\u` escape. */
function mayHideDuplicate(text: string, keys: string[]): boolean {
  if (text.includes("\\u")) return true;
  for (const key of keys) {
    const quoted = `"${key}"`;
    const first = text.indexOf(quoted);
    if (first !== -1 && text.indexOf(quoted, first + quoted.length) !== -1) return true;
  }
  return false;
}

function normaliseKey(key: string): string {
  // Long keys cannot be a location field; skip the allocation.
  return key.length > 24 ? key : key.toLowerCase().replaceAll("_", "");
}

/** Whether `text` is longer than `limit` bytes in UTF-8, computing the length only when it could matter. */
function utf8ExceedsLimit(text: string, limit: number): boolean {
  // A UTF-16 unit takes 1–3 UTF-8 bytes (a surrogate pair, two units, takes 4).
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return Buffer.byteLength(text, "utf8") > limit;
}
