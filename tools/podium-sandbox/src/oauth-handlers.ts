import { allPodiumScopes } from "./fixture.js";
import { headerValue, type Reply } from "./http-io.js";
import { newRefreshToken, type GrantState } from "./sandbox-model.js";
import type { SandboxState } from "./sandbox-state.js";
import type { IncomingPodiumRequest, LedgerDraft } from "./v4-pipeline.js";

/** RFC 6749 error codes the token endpoint answers (Podium's own format is undocumented). */
type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type";

function oauthError(error: OAuthErrorCode, description: string): Reply {
  return { status: error === "invalid_client" ? 401 : 400, body: { error, error_description: description }, errorCode: error, headers: { "cache-control": "no-store" } };
}

/** Parse the token request: JSON (what Podium's samples send) or form encoding. */
function readTokenParams(incoming: IncomingPodiumRequest): Record<string, unknown> | undefined {
  const text = incoming.raw.text;
  if (text === null) return {};
  const type = headerValue(incoming.req, "content-type") ?? "";
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tokenResponse(state: SandboxState, grant: GrantState, clientId: string, refreshToken: string, entry: LedgerDraft): Reply {
  const ttl = state.faults.accessTokenTtlSeconds;
  const access = state.tokens.issueAccess(grant, clientId, ttl, state.now());
  entry.accessTokenId = access.id;
  return {
    status: 200,
    headers: { "cache-control": "no-store" },
    body: { access_token: access.token, refresh_token: refreshToken, token_type: "Bearer", expires_in: ttl, scope: grant.scope },
  };
}

/**
 * POST /oauth/token: `refresh_token` and `authorization_code` grants, client credentials in the body.
 * Without rotation the same refresh token keeps working (as Podium's official samples rely on); with
 * rotation each refresh returns a new one and retires the old one.
 */
export function handleToken(state: SandboxState, incoming: IncomingPodiumRequest): Reply {
  const { entry } = incoming;
  entry.route = "/oauth/token";
  if (incoming.raw.tooLarge) return oauthError("invalid_request", "The request body is too large");
  const p = readTokenParams(incoming);
  if (p === undefined) return oauthError("invalid_request", "The request body must be JSON or form-encoded");
  const str = (k: string): string | undefined => (typeof p[k] === "string" && p[k] !== "" ? (p[k] as string) : undefined);
  const grantType = str("grant_type");
  const clientId = str("client_id");
  const clientSecret = str("client_secret");
  if (clientId !== undefined) entry.clientId = clientId;
  if (grantType === undefined) return oauthError("invalid_request", "grant_type is required");
  if (grantType !== "refresh_token" && grantType !== "authorization_code") return oauthError("unsupported_grant_type", `grant_type ${grantType} is not supported`);
  const now = state.now();

  if (grantType === "refresh_token") {
    const refreshToken = str("refresh_token");
    if (refreshToken === undefined || clientId === undefined || clientSecret === undefined) {
      return oauthError("invalid_request", "refresh_token, client_id and client_secret are required");
    }
    const found = state.tokens.lookupRefresh(refreshToken, now);
    if (found !== undefined) entry.grantId = found.grantId;
    const app = state.model.apps.get(clientId);
    if (app === undefined || app.clientSecret !== clientSecret) return oauthError("invalid_client", "Client authentication failed");
    const grant = found === undefined ? undefined : state.model.grants.get(found.grantId);
    if (found === undefined || !found.valid || grant === undefined || grant.clientId !== clientId) {
      return oauthError("invalid_grant", "The refresh token is invalid, expired or was issued to another client");
    }
    if (state.revoked.has(grant.grantId)) return oauthError("invalid_grant", "The refresh token has been revoked");
    let next = refreshToken;
    if (state.faults.rotateRefreshTokens) {
      next = newRefreshToken();
      state.tokens.addRefresh(next, grant.grantId);
      state.tokens.retireRefresh(refreshToken, state.faults.rotationGraceSeconds * 1000, now);
      grant.refreshToken = next;
    }
    state.stats.tokenRefreshes.set(grant.grantId, (state.stats.tokenRefreshes.get(grant.grantId) ?? 0) + 1);
    return tokenResponse(state, grant, clientId, next, entry);
  }

  const code = str("code");
  const redirectUri = str("redirect_uri");
  if (code === undefined || clientId === undefined || clientSecret === undefined || redirectUri === undefined) {
    return oauthError("invalid_request", "code, redirect_uri, client_id and client_secret are required");
  }
  const app = state.model.apps.get(clientId);
  if (app === undefined || app.clientSecret !== clientSecret) return oauthError("invalid_client", "Client authentication failed");
  const pending = state.tokens.takeCode(code, now);
  if (pending !== undefined) entry.grantId = pending.grantId;
  const grant = pending === undefined ? undefined : state.model.grants.get(pending.grantId);
  if (pending === undefined || grant === undefined || pending.clientId !== clientId || pending.redirectUri !== redirectUri) {
    return oauthError("invalid_grant", "The authorization code is invalid, expired, already used, or bound to another client or redirect_uri");
  }
  if (state.revoked.has(grant.grantId)) return oauthError("invalid_grant", "The grant has been revoked");
  // A fresh consent yields a fresh refresh token; earlier ones stay valid.
  const refreshToken = newRefreshToken();
  state.tokens.addRefresh(refreshToken, grant.grantId);
  grant.refreshToken = refreshToken;
  return tokenResponse(state, grant, clientId, refreshToken, entry);
}

/** Parameters of an authorization request (the query of GET /oauth/authorize). */
export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  /** @default "code" */
  responseType?: string;
  /** Space-separated scopes; used only when the consent creates a new grant. */
  scope?: string;
  state?: string;
  /** A fixture user's email or uid: whose consent this is. @default the user of the client's first grant */
  loginHint?: string;
}

/** The outcome: where the browser is sent, and the code (absent when the redirect carries an error). */
export interface AuthorizeResult {
  redirectUrl: string;
  code?: string;
  grantId?: string;
}

/** Thrown for authorization requests that must not redirect (unknown client, bad redirect_uri). */
export class AuthorizeRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuthorizeRequestError";
  }
}

/**
 * Auto-consent: resolve the consenting user's grant for the client (creating one when the user has none
 * for this app), issue a single-use code bound to client and redirect URI, and build the redirect.
 */
export function authorize(state: SandboxState, params: AuthorizeParams): AuthorizeResult {
  const app = state.model.apps.get(params.clientId);
  if (app === undefined) throw new AuthorizeRequestError("unknown client_id");
  let target: URL;
  try {
    target = new URL(params.redirectUri);
  } catch {
    throw new AuthorizeRequestError("redirect_uri must be an absolute URL");
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") throw new AuthorizeRequestError("redirect_uri must be http(s)");
  if ((app.redirectUris ?? []).length > 0 && !(app.redirectUris ?? []).includes(params.redirectUri)) {
    throw new AuthorizeRequestError("redirect_uri is not registered for this client");
  }
  const redirect = (values: Record<string, string>): AuthorizeResult => {
    for (const [k, v] of Object.entries(values)) target.searchParams.set(k, v);
    if (params.state !== undefined) target.searchParams.set("state", params.state);
    return { redirectUrl: target.toString(), ...(values["code"] === undefined ? {} : { code: values["code"] }) };
  };
  if ((params.responseType ?? "code") !== "code") return redirect({ error: "unsupported_response_type" });
  const requested = (params.scope ?? "").split(/[\s+]+/).filter((s) => s !== "");
  if (requested.some((s) => !allPodiumScopes.includes(s))) return redirect({ error: "invalid_scope" });

  const clientGrants = state.model.grantsByClient.get(app.clientId) ?? [];
  let grant: GrantState | undefined;
  const hint = params.loginHint !== undefined && params.loginHint !== "" ? params.loginHint : app.consentUser;
  if (hint !== undefined) {
    const user = state.model.findUser(hint);
    if (user === undefined) return redirect({ error: "access_denied" });
    grant = clientGrants.find((g) => g.userUid === user.uid);
    if (grant === undefined) {
      // The user's reach comes from any grant they hold; with none, every location of their org.
      const base = [...state.model.grants.values()].find((g) => g.userUid === user.uid);
      const org = state.model.orgs.get(base?.orgSlug ?? user.orgSlug);
      if (org === undefined) return redirect({ error: "access_denied" });
      const uids = base === undefined ? [...org.locationUids] : [...base.locationUids];
      grant = state.model.createConsentGrant(app.clientId, user.uid, org, uids, requested.length > 0 ? requested : (base === undefined ? allPodiumScopes : [...base.scopes]));
    }
  } else {
    grant = clientGrants[0];
    if (grant === undefined) return redirect({ error: "access_denied" });
  }
  const code = state.tokens.issueCode({ clientId: app.clientId, redirectUri: params.redirectUri, grantId: grant.grantId, expiresAt: state.now() + state.authorizationCodeTtlMs });
  return { ...redirect({ code }), grantId: grant.grantId };
}

/** GET /oauth/authorize: 302 to `redirect_uri?code=…&state=…`, or 400 when it must not redirect. */
export function handleAuthorize(state: SandboxState, incoming: IncomingPodiumRequest): Reply {
  const { entry } = incoming;
  entry.route = "/oauth/authorize";
  const q = new URLSearchParams(incoming.search);
  const clientId = q.get("client_id") ?? "";
  if (clientId !== "") entry.clientId = clientId;
  const redirectUri = q.get("redirect_uri") ?? "";
  if (clientId === "" || redirectUri === "") return oauthError("invalid_request", "client_id and redirect_uri are required");
  const params: AuthorizeParams = { clientId, redirectUri };
  for (const [key, name] of [["responseType", "response_type"], ["scope", "scope"], ["state", "state"], ["loginHint", "login_hint"]] as const) {
    const v = q.get(name);
    if (v !== null) params[key] = v;
  }
  try {
    const result = authorize(state, params);
    if (result.grantId !== undefined) entry.grantId = result.grantId;
    return { status: 302, headers: { location: result.redirectUrl, "cache-control": "no-store" } };
  } catch (err) {
    if (err instanceof AuthorizeRequestError) return oauthError("invalid_request", err.message);
    throw err;
  }
}
