import type { IncomingMessage } from "node:http";
import { headerValue, type MultipartBody, type RawBody, type Reply } from "./http-io.js";
import type { LedgerEntry } from "./ledger.js";
import { checkRequiredFields, collectNamedScope, type NamedScope } from "./named-locations.js";
import { PodiumHttpError } from "./podium-error.js";
import { matchSandboxRoute, type RouteMatch } from "./podium-routes.js";
import { NO_RESOURCES, type ResourceAccess } from "./resource-access.js";
import { PODIUM_VERSION, type SandboxState } from "./sandbox-state.js";
import type { AccessTokenRecord } from "./token-store.js";
import { v4Handlers } from "./v4-handlers.js";
import type { V4Request } from "./v4-request.js";
import { checkWebhookWrite } from "./webhook-handlers.js";

/** The ledger entry being filled while a request is handled (seq and ts are set when recorded). @internal */
export type LedgerDraft = LedgerEntry;

/** A request as the dispatcher hands it over: body read, query not yet parsed. @internal */
export interface IncomingPodiumRequest {
  req: IncomingMessage;
  method: string;
  path: string;
  /** Query string without `?`; empty when none. */
  search: string;
  raw: RawBody;
  /** A multipart body, parsed; null when it could not be parsed; undefined for other bodies. */
  form?: MultipartBody | null;
  entry: LedgerDraft;
}

const emptyQuery = new URLSearchParams();
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Answer one /v4 request. The order mirrors a gateway in front of an API: route, injected faults, version
 * header, authentication, rate limit, body, scope, required fields, location access, then the operation.
 * The ledger draft is filled first (grant, token, named locations) so refused requests are recorded too.
 */
export function handleV4(state: SandboxState, incoming: IncomingPodiumRequest): Reply {
  const rateHeaders: Record<string, string> = {};
  try {
    const reply = runV4(state, incoming, rateHeaders);
    if (Object.keys(rateHeaders).length > 0) reply.headers = { ...reply.headers, ...rateHeaders };
    return reply;
  } catch (err) {
    // An error answer returns and changes nothing: handlers check everything before they write.
    incoming.entry.resources = NO_RESOURCES;
    if (!(err instanceof PodiumHttpError)) throw err;
    return { status: err.status, body: err.toBody(), headers: { ...rateHeaders, ...err.headers }, errorCode: err.code };
  }
}

function runV4(state: SandboxState, incoming: IncomingPodiumRequest, rateHeaders: Record<string, string>): Reply {
  const { entry, req } = incoming;
  const match = matchSandboxRoute(incoming.method, incoming.path);
  const query = incoming.search === "" ? emptyQuery : new URLSearchParams(incoming.search);
  let body: unknown;
  let bodyError: PodiumHttpError | undefined;
  if (incoming.raw.tooLarge) bodyError = new PodiumHttpError("bad_request", "The request body is too large");
  // Attachment uploads are multipart (podium-api.md §2): the body becomes { data, attachment }.
  else if (incoming.form === null) bodyError = new PodiumHttpError("bad_request", "The multipart body cannot be parsed");
  else if (incoming.form !== undefined) {
    const parsed = multipartBody(incoming.form);
    if (parsed instanceof PodiumHttpError) bodyError = parsed;
    else body = parsed;
  } else if (incoming.raw.text !== null && !(headerValue(req, "content-type") ?? "").startsWith("multipart/")) {
    try {
      body = JSON.parse(incoming.raw.text);
    } catch {
      bodyError = new PodiumHttpError("bad_request", "The request body is not valid JSON");
    }
  }
  const named = collectNamedScope(match?.route, match?.params ?? {}, query, body);
  entry.locationUids = named.locationUids;
  const bearer = BEARER.exec(headerValue(req, "authorization") ?? "")?.[1];
  const token = bearer === undefined ? undefined : state.tokens.findAccess(bearer);
  if (token !== undefined) {
    entry.grantId = token.grant.grantId;
    entry.accessTokenId = token.id;
    entry.clientId = token.clientId;
  }

  if (match === undefined) throw new PodiumHttpError("route_not_found", "no Route matched with those values");
  entry.route = match.route.template;
  injectFaults(state, entry);
  const version = headerValue(req, "podium-version");
  if (version !== undefined && version !== PODIUM_VERSION) {
    throw new PodiumHttpError("invalid_header_version", `Invalid podium-version header; supported versions: ${PODIUM_VERSION}`);
  }
  if (token === undefined) throw new PodiumHttpError("unauthenticated", "Missing or invalid access token");
  if (state.tokens.isExpired(token, state.now())) throw new PodiumHttpError("unauthorized", "ID token expired", 401);
  takeRateLimit(state, token, named, rateHeaders);
  if (bodyError !== undefined) throw bodyError;

  const { route } = match;
  if (route.scope !== null && !token.grant.scopes.has(route.scope)) {
    throw new PodiumHttpError("unauthorized", `The access token lacks the required scope: ${route.scope}`);
  }
  checkRequiredFields(route, query, body);
  const resources: ResourceAccess[] = [];
  entry.resources = resources;
  const v4: V4Request = { method: route.method, path: incoming.path, route, params: match.params, query, body, token, grant: token.grant, locationUids: named.locationUids, resources };
  if (route.eventScoped) checkWebhookWrite(v4);
  checkLocationAccess(state, match, named, token);
  const handler = v4Handlers.get(`${route.method} ${route.template}`);
  if (handler === undefined) throw new Error(`no handler for ${route.method} ${route.template}`);
  return handler(state, v4);
}

/** A multipart body as handlers see it: the `data` part parsed as JSON, and the `attachment` file's facts. */
function multipartBody(form: MultipartBody): Record<string, unknown> | PodiumHttpError {
  const out: Record<string, unknown> = { attachment: form.files["attachment"] ?? null };
  const data = form.fields["data"];
  if (data === undefined) return out;
  try {
    out["data"] = JSON.parse(data);
  } catch {
    return new PodiumHttpError("bad_request", "The data part is not valid JSON");
  }
  return out;
}

function injectFaults(state: SandboxState, entry: LedgerDraft): void {
  const { faults } = state;
  const storm = faults.rateLimitStorm;
  if (storm !== false && (storm.grants === undefined || storm.grants.includes(entry.grantId ?? ""))) {
    entry.fault = "storm";
    const seconds = String(storm.retryAfterSeconds);
    throw new PodiumHttpError("rate_limit", "Rate limit exceeded", 429, { "retry-after": seconds, "x-ratelimit-reset": seconds });
  }
  if (faults.errorRate > 0 && Math.random() < faults.errorRate) {
    entry.fault = "error";
    throw new PodiumHttpError("internal_server_error", "Internal server error");
  }
}

function takeRateLimit(state: SandboxState, token: AccessTokenRecord, named: NamedScope, rateHeaders: Record<string, string>): void {
  const config = state.faults.rateLimit;
  if (config === false || config.perMinute <= 0) return;
  let keys: string[];
  if (config.key === "app") keys = [`app:${token.clientId}`];
  else if (config.key === "location" && named.locationUids.length > 0) keys = named.locationUids.map((uid) => `location:${uid}`);
  else keys = [`token:${token.id}`];
  const d = state.limiter.take(keys, config, state.now());
  if (config.headers) {
    rateHeaders["x-ratelimit-limit-minute"] = String(d.limit);
    rateHeaders["x-ratelimit-remaining-minute"] = String(d.remaining);
    rateHeaders["x-ratelimit-reset"] = String(d.resetSeconds);
  }
  if (!d.allowed) {
    const headers: Record<string, string> = config.headers ? { "retry-after": String(d.resetSeconds) } : {};
    throw new PodiumHttpError("rate_limit", `Rate limit exceeded: ${d.limit} requests per minute`, 429, headers);
  }
}

/** Deleted → 404 everywhere; outside the grant → 403 (a path `/v4/locations/{uid}` may be set to 404). */
function checkLocationAccess(state: SandboxState, match: RouteMatch, named: NamedScope, token: AccessTokenRecord): void {
  const { grant } = token;
  const pathUid = match.route.template.startsWith("/v4/locations/{uid}") ? match.params["uid"] : undefined;
  for (const uid of named.locationUids) {
    if (state.deleted.has(uid)) throw new PodiumHttpError("resource_not_found", `Location ${uid} was not found`);
    if (grant.locationSet.has(uid)) continue;
    if (uid === pathUid) {
      if (!state.model.locations.has(uid) || state.faults.foreignLocationStatus === 404) {
        throw new PodiumHttpError("resource_not_found", `Location ${uid} was not found`);
      }
    }
    throw new PodiumHttpError("unauthorized", `You do not have access to location ${uid}`);
  }
  const pathOrg = match.route.template === "/v4/organizations/{uid}" ? match.params["uid"] : undefined;
  for (const org of named.organizationUids) {
    if (org === grant.organizationUid) continue;
    if (org === pathOrg && !state.model.orgByUid.has(org)) throw new PodiumHttpError("resource_not_found", `Organization ${org} was not found`);
    throw new PodiumHttpError("unauthorized", `You do not have access to organization ${org}`);
  }
}
