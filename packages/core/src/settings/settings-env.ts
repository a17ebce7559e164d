/**
 * Environment overrides of the settings file.
 *
 *   PODIUM_ROUTER_SETTINGS=path/to/settings.yaml       the settings file (missing = error)
 *   PODIUM_ROUTER_<SECTION>__<KEY>[__<SUBKEY>]=value     one setting; `__` separates levels
 *
 * Names are upper-case snake_case of the YAML keys: PODIUM_ROUTER_UPSTREAM__BASE_URL sets upstream.base_url,
 * PODIUM_ROUTER_BUDGETS__LOCATION__BURST sets budgets.location.burst. Values are parsed as YAML, so
 * `5000` is a number, `true` a boolean, `""` or `~` restores the default, and `{burst: 5}` is a mapping.
 * The segment after BUDGETS__OVERRIDES keeps its case (it is a location uid); since shells reject `-` in
 * names, set a whole map instead: PODIUM_ROUTER_BUDGETS__OVERRIDES='{"<uid>": {burst: 5}}'.
 * PODIUM_ROUTER_* names without `__` (other than PODIUM_ROUTER_SETTINGS) are left to other components.
 * Overrides apply in name order, so a section (…__LOCATION) applies before one of its keys (…__LOCATION__BURST).
 */
import { parse } from "yaml";
import { InvalidConfigError } from "@podium-router/errors";

/** Prefix of every settings environment variable. */
export const ENV_PREFIX = "PODIUM_ROUTER_";
/** Names the settings file. */
export const SETTINGS_PATH_ENV = "PODIUM_ROUTER_SETTINGS";

/** The settings file named by PODIUM_ROUTER_SETTINGS, if set and not empty. */
export function settingsPathFromEnv(env: Record<string, string | undefined>): string | undefined {
  const p = env[SETTINGS_PATH_ENV];
  return p === undefined || p === "" ? undefined : p;
}

/** The document after overrides, and which variable set which dotted key. */
export interface EnvOverrideResult {
  raw: Record<string, unknown>;
  /** Dotted key (snake_case) → the variable that set it. */
  origins: Map<string, string>;
}

/**
 * Applies PODIUM_ROUTER_<SECTION>__<KEY>… variables to a copy of the parsed settings document.
 * Throws InvalidConfigError naming the variable when its value is not YAML or its path runs through a
 * key that is not a mapping. Unknown keys are left for validation, which names the variable too.
 */
export function applyEnvOverrides(doc: Record<string, unknown>, env: Record<string, string | undefined>): EnvOverrideResult {
  const raw = structuredClone(doc);
  const origins = new Map<string, string>();
  const names = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && n.includes("__", ENV_PREFIX.length))
    .sort();
  for (const name of names) {
    const text = env[name];
    if (text === undefined) continue;
    const parts = name.slice(ENV_PREFIX.length).split("__");
    if (parts.some((p) => p === "")) throw new InvalidConfigError({}, `${name} has an empty key between "__" separators`);
    const keys = parts.map((p) => p.toLowerCase());
    // A location uid under budgets.overrides keeps its case: uids compare case-sensitively.
    if (keys[0] === "budgets" && keys[1] === "overrides" && parts.length > 2) keys[2] = parts[2] as string;
    let value: unknown;
    try {
      value = parse(text);
    } catch {
      // The value is not echoed: it may be a secret set in the wrong variable.
      throw new InvalidConfigError({}, `${name} is not a valid YAML value`);
    }
    let cur = raw;
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i] as string;
      const next = cur[key];
      if (next === undefined || next === null) cur[key] = {};
      else if (typeof next !== "object" || Array.isArray(next)) {
        throw new InvalidConfigError({}, `${name} sets ${keys.join(".")}, but ${keys.slice(0, i + 1).join(".")} is not a mapping`);
      }
      cur = cur[key] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1] as string] = value;
    origins.set(keys.join("."), name);
  }
  return { raw, origins };
}

/**
 * Looks up the variable that set a dotted key, one of its parent sections, or (when a variable turned a
 * scalar into a mapping, e.g. …__BASE_URL__HOST) one of its children.
 */
export function originLookup(origins: Map<string, string>): (dotted: string) => string | undefined {
  return (dotted) => {
    for (let p = dotted; ; ) {
      const o = origins.get(p);
      if (o !== undefined) return o;
      const i = p.lastIndexOf(".");
      if (i < 0) break;
      p = p.slice(0, i);
    }
    for (const [key, name] of origins) if (key.startsWith(`${dotted}.`)) return name;
    return undefined;
  };
}
