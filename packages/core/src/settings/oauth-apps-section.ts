/** The `oauth_apps` section of the settings: the Podium OAuth apps callers may name (see oauth/oauth-app.ts). */
import { isOAuthScope, type OAuthApp, type OAuthApps } from "../oauth/index.js";
import { parseSecretRef } from "../credentials/index.js";
import { isOAuthAppName, OAUTH_APP_NAME_RULE } from "../ids.js";
import type { SectionReader } from "./settings-reader.js";

const REF_RULE = 'must be a secret reference, "env:NAME" or "file:PATH", naming where the value is; never the value itself (it is not shown)';

/**
 * Reads `oauth_apps: { <name>: { client_id_ref, client_secret_ref, redirect_uri?, scopes? } }` from the root
 * reader. Names follow the app-name rule; both references must parse (they are resolved only when an app is
 * used, so a router starts without every app's secrets present). Messages never echo a reference.
 * @internal
 */
export function readOAuthApps(root: SectionReader): OAuthApps {
  const section = root.section("oauth_apps");
  const apps = new Map<string, OAuthApp>();
  for (const name of Object.keys((root.raw("oauth_apps") ?? {}) as object)) {
    if (!isOAuthAppName(name)) section.fail(JSON.stringify(name.slice(0, 40)), `must be an app name: ${OAUTH_APP_NAME_RULE}`);
    apps.set(name, readApp(section.section(name)));
  }
  section.done();
  return apps;
}

function readApp(r: SectionReader): OAuthApp {
  const ref = (key: string): string => {
    const value = r.raw(key);
    if (value === undefined) return r.fail(key, 'is required: "env:NAME" or "file:PATH"');
    try {
      parseSecretRef(value as string);
    } catch {
      r.fail(key, REF_RULE);
    }
    return value as string;
  };
  const clientIdRef = ref("client_id_ref");
  const clientSecretRef = ref("client_secret_ref");
  const redirectUri = r.url("redirect_uri", "", { allowEmpty: true });
  const scopes = r.raw("scopes") ?? [];
  if (!Array.isArray(scopes) || !scopes.every(isOAuthScope)) r.fail("scopes", "must be a list of OAuth scopes, each 1-64 of [A-Za-z0-9_.:-]");
  r.done();
  return { clientIdRef, clientSecretRef, redirectUri: redirectUri === "" ? undefined : redirectUri, scopes: [...new Set(scopes as string[])] };
}
