/**
 * Access tokens per location: cached, refreshed single-flight, the rotated refresh token persisted before
 * use; and the authorization-code grant behind onboarding by consent.
 */
export type { AuthorizationCallback, AuthorizationRequest, PendingAuthorization, ResolvedAuthorizationRequest } from "./authorization-code-grant.js";
export type { AuthState, LastRefresh } from "./location-auth.js";
export type { AppSource, OAuthApp, OAuthApps } from "./oauth-app.js";
export { isOAuthScope, OAUTH_SCOPE_RULE } from "./oauth-app.js";

// Internal: used by other folders of the core, not part of the package's API.
export { AGAIN, DEFAULT_AUTHORIZATION_TTL_MS, exchangeAuthorizationCode, MAX_AUTHORIZATION_TTL_MS, OAUTH_ERROR_RE, prepareAuthorization, writeRefreshTokenFile } from "./authorization-code-grant.js";
export { createLocationAuth, withAuthRetry } from "./location-auth.js";
export type { LocationAuth } from "./location-auth.js";
export { appReferences, findOAuthApp } from "./oauth-app.js";
