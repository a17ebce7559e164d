/**
 * The OAuth half of onboarding by consent (RFC 6749 authorization code grant): the authorize URL with its
 * state, the exchange of the code for a refresh token, and the refresh-token file. consent-onboarding.ts
 * keeps the pending states and decides when these run.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../util/index.js";
import { BadRequestError, LocationAuthError, UpstreamUnavailableError } from "@podium-router/errors";
import { isLocationUid, isOrgSlug, LOCATION_UID_RULE, ORG_SLUG_RULE } from "../ids.js";
import { parseSecretRef, resolveSecretRef } from "../credentials/index.js";
import type { UpstreamClient } from "../upstream/index.js";
import { isOAuthScope, OAUTH_SCOPE_RULE, type AppSource } from "./oauth-app.js";

/** A consent request once its app is known: the secret references are the operator's. */
export interface ResolvedAuthorizationRequest {
  locationUid: string;
  orgSlug: string;
  /** `env:NAME` or `file:PATH` of the Podium app's client id. */
  clientIdRef: string;
  /** `env:NAME` or `file:PATH` of the Podium app's client secret. */
  clientSecretRef: string;
  /** Where Podium sends the browser back (the router's `/oauth/callback`); must be registered with the Podium app. */
  redirectUri: string;
  /** OAuth scopes to ask for; empty or absent leaves `scope` out, so Podium applies the app's own scopes. */
  scopes?: readonly string[] | undefined;
  /** How long the consent may take before the state is refused. @default 600000 (10 min) */
  ttlMs?: number | undefined;
}

/**
 * What an operator hands over to onboard one location by consent (OAuth authorization code flow): the location
 * and the Podium app, a configured `oauth_apps` name (what a caller over the wire sends) or, from trusted
 * in-process code, its secret references. The app's `redirect_uri` and `scopes`, when configured, take the place
 * of `redirectUri` and bound `scopes`.
 */
export type AuthorizationRequest = Omit<ResolvedAuthorizationRequest, "clientIdRef" | "clientSecretRef"> & AppSource;

/** A started authorization: the operator's browser goes to `authorizeUrl` before `expiresAt`. */
export interface PendingAuthorization {
  locationUid: string;
  /** Podium's authorize URL carrying the client id, redirect URI, scopes and `state`. */
  authorizeUrl: string;
  /** The single-use OAuth `state` bound to the pending location; a bearer secret until it is used. */
  state: string;
  /** Epoch ms from which the state is refused. */
  expiresAt: number;
  /** The redirect URI the code will be exchanged with. */
  redirectUri: string;
}

/** What Podium's redirect to the callback carried besides `state`: a `code`, or an OAuth `error` when consent was refused. */
export interface AuthorizationCallback {
  code?: string | undefined;
  error?: string | undefined;
}


/** Where Podium's consent page and token endpoint are (`settings.upstream`). */
export interface PodiumEndpoints {
  baseUrl: string;
  tokenUrl: string;
}

/** 10 min: time to log in to Podium and approve, short enough that a leaked authorize URL soon dies. */
export const DEFAULT_AUTHORIZATION_TTL_MS = 10 * 60_000;
/** 1 h: the longest a state may live; a consent that takes longer should be started again. */
export const MAX_AUTHORIZATION_TTL_MS = 60 * 60_000;
/** 256 bits: a state cannot be guessed, so the callback needs no other authentication. */
const STATE_BYTES = 32;
/** What every refusal tells the operator to do. @internal */
export const AGAIN = "run `podium-router onboard --authorize` again";
/** An RFC 6749 error code; only these are echoed from Podium or the callback. @internal */
export const OAUTH_ERROR_RE = /^[a-z_]{1,40}$/;

/**
 * Checks a consent request (echoing nothing secret) and builds Podium's authorize URL with a fresh state.
 * Both secret references are resolved now, so a missing secret fails before anyone spends time on the consent.
 */
export async function prepareAuthorization(
  request: ResolvedAuthorizationRequest,
  endpoints: PodiumEndpoints,
  env: Record<string, string | undefined>,
): Promise<{ authorizeUrl: string; state: string; ttlMs: number }> {
  const uid = request.locationUid;
  if (!isLocationUid(uid)) throw new BadRequestError({}, `location_uid must be ${LOCATION_UID_RULE}`);
  const fail = (detail: string): never => {
    throw new BadRequestError({ locationUid: uid }, detail);
  };
  if (!isOrgSlug(request.orgSlug)) fail(`org_slug must be ${ORG_SLUG_RULE}`);
  parseSecretRef(request.clientIdRef, { label: "client_id_ref", locationUid: uid });
  parseSecretRef(request.clientSecretRef, { label: "client_secret_ref", locationUid: uid });
  let redirect: URL | undefined;
  try {
    redirect = new URL(request.redirectUri);
  } catch {
    // reported below
  }
  if (redirect === undefined || (redirect.protocol !== "http:" && redirect.protocol !== "https:") || redirect.hash !== "") {
    fail("redirect_uri must be an absolute http(s) URL without a fragment");
  }
  const scopes = request.scopes ?? [];
  if (!scopes.every(isOAuthScope)) fail(`each scope must be ${OAUTH_SCOPE_RULE}`);
  const ttlMs = request.ttlMs ?? DEFAULT_AUTHORIZATION_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_AUTHORIZATION_TTL_MS) fail(`the authorization lifetime must be 1 ms to ${MAX_AUTHORIZATION_TTL_MS / 60_000} min`);
  const [clientId] = await Promise.all([
    resolveSecretRef(request.clientIdRef, env, { label: "client_id_ref", locationUid: uid }),
    resolveSecretRef(request.clientSecretRef, env, { label: "client_secret_ref", locationUid: uid }),
  ]);
  const state = randomBytes(STATE_BYTES).toString("base64url");
  const url = new URL(`${endpoints.baseUrl}/oauth/authorize`);
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("redirect_uri", request.redirectUri);
  url.searchParams.set("response_type", "code");
  if (scopes.length > 0) url.searchParams.set("scope", scopes.join(" "));
  url.searchParams.set("state", state);
  return { authorizeUrl: url.toString(), state, ttlMs };
}

/** The client credential and the code of one exchange. */
export interface CodeExchange {
  clientId: string;
  clientSecret: string;
  code: string;
  requestId: string;
}

/**
 * Trades an authorization code for a refresh token (grant `authorization_code`, sent once: codes are single-use).
 * Throws LocationAuthError when Podium refuses it, UpstreamUnavailableError for a 5xx or 429; never echoes a secret.
 */
export async function exchangeAuthorizationCode(
  request: ResolvedAuthorizationRequest,
  exchange: CodeExchange,
  endpoints: PodiumEndpoints,
  upstream: Pick<UpstreamClient, "postToken">,
): Promise<string> {
  const uid = request.locationUid;
  const { clientId, clientSecret, code, requestId } = exchange;
  const res = await upstream.postToken(
    { grant_type: "authorization_code", code, redirect_uri: request.redirectUri, client_id: clientId, client_secret: clientSecret },
    { tokenUrl: endpoints.tokenUrl, requestId, locationUid: uid },
  );
  const body = (typeof res.json === "object" && res.json !== null ? res.json : {}) as Record<string, unknown>;
  if (res.status === 200 && typeof body.refresh_token === "string" && body.refresh_token !== "") return body.refresh_token;
  // Only a short RFC 6749 error code is echoed, so an odd body can never leak into the message.
  const oauthCode = typeof body.error === "string" && OAUTH_ERROR_RE.test(body.error) ? body.error : undefined;
  const ctx = { locationUid: uid, requestId, upstreamStatus: res.status };
  if (res.status >= 500 || res.status === 429) throw new UpstreamUnavailableError(ctx, `the token endpoint answered ${res.status} to the code exchange; ${AGAIN}`);
  const why = oauthCode ?? (res.status === 200 ? "no refresh_token in the answer" : `HTTP ${res.status}`);
  throw new LocationAuthError(ctx, `Podium refused the authorization code for location ${uid} (${why}); codes are single-use and short-lived, so ${AGAIN}`);
}

/** Writes the token atomically to a new 0600 file; a unique name, so no other location's or attempt's file is touched. */
export async function writeRefreshTokenFile(dir: string, locationUid: string, token: string): Promise<string> {
  const absolute = resolve(dir);
  await mkdir(absolute, { recursive: true, mode: 0o700 });
  const file = join(absolute, `${locationUid}.${randomBytes(4).toString("hex")}.refresh-token`);
  await writeFileAtomic(file, token);
  return file;
}
