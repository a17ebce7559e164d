/**
 * The OAuth apps an operator configures (`oauth_apps.<name>` in the settings). A caller names an app; the
 * router alone knows where its client id and secret are. This is what keeps "callers never name a secret"
 * true: no value a caller sends is ever read as a file path or an environment variable name.
 */
import { BadRequestError } from "@podium-router/errors";
import { isOAuthAppName, OAUTH_APP_NAME_RULE } from "../ids.js";

/** One configured Podium OAuth app: where its secrets are (references), never the secrets. */
export interface OAuthApp {
  /** `env:NAME` or `file:PATH` of the app's client id. */
  clientIdRef: string;
  /** `env:NAME` or `file:PATH` of the app's client secret. */
  clientSecretRef: string;
  /** The redirect URI consent uses with this app; undefined for the server's `<public_url>/oauth/callback`. */
  redirectUri: string | undefined;
  /** The scopes consent asks for; a caller may ask for fewer of them. Empty: the Podium app's own scopes. */
  scopes: readonly string[];
}

/** The configured apps by name. A Map, so a name such as `constructor` can never reach an object's prototype. */
export type OAuthApps = ReadonlyMap<string, OAuthApp>;

/**
 * Where a location's Podium app credential comes from: a configured app by name (all a caller over the wire can
 * send), or its references themselves, which only trusted in-process code (tests, `podium-router dev`) may give.
 */
export type AppSource =
  | { oauthApp: string; clientIdRef?: undefined; clientSecretRef?: undefined }
  | { oauthApp?: undefined; clientIdRef: string; clientSecretRef: string };

/** An OAuth scope as Podium names them (`read_locations`, `write_messages`). */
const SCOPE_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
/** The scope rule, as messages state it. */
export const OAUTH_SCOPE_RULE = "1-64 characters of [A-Za-z0-9_.:-]";

/** True for a well-formed OAuth scope. */
export function isOAuthScope(scope: unknown): scope is string {
  return typeof scope === "string" && SCOPE_RE.test(scope);
}

/**
 * The app a request names. Throws BadRequestError for a malformed or unconfigured name; the message quotes a
 * name only when it follows the name rule (so a pasted path or reference is never echoed).
 */
export function findOAuthApp(apps: OAuthApps, name: string, locationUid?: string): OAuthApp {
  if (!isOAuthAppName(name)) throw new BadRequestError({ locationUid }, `oauth_app must be the name of an app in the router's oauth_apps settings (${OAUTH_APP_NAME_RULE}); it is never a secret reference or a path`);
  const app = apps.get(name);
  if (app === undefined) throw new BadRequestError({ locationUid }, `oauth_app "${name}" is not configured on this router; the operator adds it under oauth_apps in the settings`);
  return app;
}

/** The secret references behind a source, and the configured app when the source named one. */
export function appReferences(source: AppSource, apps: OAuthApps, locationUid?: string): { clientIdRef: string; clientSecretRef: string; app: OAuthApp | undefined } {
  if (source.oauthApp !== undefined) {
    const app = findOAuthApp(apps, source.oauthApp, locationUid);
    return { clientIdRef: app.clientIdRef, clientSecretRef: app.clientSecretRef, app };
  }
  return { clientIdRef: source.clientIdRef, clientSecretRef: source.clientSecretRef, app: undefined };
}
