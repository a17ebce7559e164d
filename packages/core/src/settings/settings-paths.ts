/**
 * Relative paths in the settings (files, directories and `file:` references, the events log included) resolve against the directory of the
 * settings file, not the working directory:
 * `podium-router serve --settings /etc/podium-router/settings.yaml` started from anywhere uses the same files.
 * Without a settings file they resolve against the working directory, as before.
 */
import { isAbsolute, resolve } from "node:path";
import { pgEndpointOf } from "../credentials/index.js";
import type { Settings } from "./settings.js";

/** `settings` with every file path (and every `file:` reference: OAuth apps, encryption, HMAC and cursor keys) made absolute against `baseDir`. */
export function resolveSettingsPaths(settings: Settings, baseDir: string): Settings {
  const abs = (path: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));
  const absRef = (ref: string): string => (ref.startsWith("file:") ? `file:${abs(ref.slice("file:".length))}` : ref);
  const keys = Object.fromEntries(Object.entries(settings.credentials.encryption.keys).map(([id, ref]) => [id, absRef(ref)]));
  const oauthApps = new Map([...settings.oauthApps].map(([name, app]) => [name, { ...app, clientIdRef: absRef(app.clientIdRef), clientSecretRef: absRef(app.clientSecretRef) }]));
  const { checkpoints } = settings.audit;
  return {
    ...settings,
    audit: {
      ...settings.audit,
      path: abs(settings.audit.path),
      indexPath: abs(settings.audit.indexPath),
      checkpoints: { ...checkpoints, path: abs(checkpoints.path), hmacKey: absRef(checkpoints.hmacKey) },
    },
    onboarding: { ...settings.onboarding, refreshTokenDir: abs(settings.onboarding.refreshTokenDir) },
    events: {
      ...settings.events,
      path: abs(settings.events.path),
      subscriptionsPath: abs(settings.events.subscriptionsPath),
      forwarders: Object.fromEntries(Object.entries(settings.events.forwarders).map(([uid, f]) => [uid, { ...f, secretRef: absRef(f.secretRef) }])),
    },
    isolation: { ...settings.isolation, cursorKey: absRef(settings.isolation.cursorKey) },
    oauthApps,
    credentials: { ...settings.credentials, path: abs(settings.credentials.path), encryption: { ...settings.credentials.encryption, keys } },
  };
}

/**
 * Where the router keeps its state, for the start-up log line: the audit log and its index, the credential store
 * (the file, or PostgreSQL's host:port and schema; never the URL, which may hold a password) and the directory of
 * consent refresh tokens.
 */
export function storageLocations(settings: Settings): Record<string, string> {
  const c = settings.credentials;
  return {
    audit_path: resolve(settings.audit.path),
    audit_index_path: resolve(settings.audit.indexPath),
    audit_checkpoints: c.backend === "file" ? `file ${resolve(settings.audit.checkpoints.path)}` : `postgres schema ${c.postgres.schema}`,
    credentials: c.backend === "file" ? `file ${resolve(c.path)}` : `postgres ${pgEndpointOf(c.postgres.url)} schema ${c.postgres.schema}`,
    refresh_token_dir: resolve(settings.onboarding.refreshTokenDir),
    ...(settings.events.enabled ? { events: settings.events.backend === "sqlite" ? `sqlite ${resolve(settings.events.path)}` : `postgres schema ${c.postgres.schema}` } : {}),
  };
}
