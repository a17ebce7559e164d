/**
 * Reading the settings: the YAML file (or none), `PODIUM_ROUTER_*` environment overrides (settings-env.ts), then
 * validation (settings.ts) and relative paths resolved against the file's directory (settings-paths.ts).
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { InvalidConfigError } from "@podium-router/errors";
import { applyEnvOverrides, originLookup, settingsPathFromEnv } from "./settings-env.js";
import type { OriginOf } from "./settings-reader.js";
import { resolveSettingsPaths } from "./settings-paths.js";
import { DEFAULT_SETTINGS_PATH, validateSettingsDocument, type Settings } from "./settings.js";

/** Where to read settings from, and the environment to apply. */
export interface LoadSettingsOptions {
  /** The settings file. A missing file given here (or by PODIUM_ROUTER_SETTINGS) is an error. @default PODIUM_ROUTER_SETTINGS, else "config/settings.yaml" (missing = defaults) */
  path?: string | undefined;
  /** Environment for PODIUM_ROUTER_* overrides. @default process.env */
  env?: Record<string, string | undefined> | undefined;
  /** Directory a relative path resolves against. @default process.cwd() */
  cwd?: string | undefined;
}

/** What `loadSettings` read: the validated settings and the merged raw document (file + environment). */
export interface LoadedSettings {
  /** Validated, with every relative path resolved against `baseDir`. */
  settings: Settings;
  /** The settings file's directory (the working directory when no file was read): relative paths resolve here. */
  baseDir: string;
  /** The parsed document after environment overrides, snake_case; `server` for its owner. */
  raw: Record<string, unknown>;
  /** The file read, or undefined when the default file was absent. */
  path: string | undefined;
  /** The environment variable that set a dotted key, if one did: the server names it in `server.*` errors. */
  originOf: OriginOf;
}

/**
 * Reads the settings file (YAML), applies `PODIUM_ROUTER_<SECTION>__<KEY>[__<SUBKEY>]` environment
 * overrides, and validates. A missing default file means defaults; an explicitly named missing file,
 * a YAML syntax error (named with file and line) or an invalid value throws InvalidConfigError.
 * Relative paths (given or default, from the file or the environment) resolve against the settings file's
 * directory, or the working directory when no file was read (settings-paths.ts).
 */
export async function loadSettings(opts: LoadSettingsOptions = {}): Promise<LoadedSettings> {
  const env = opts.env ?? process.env;
  const explicit = opts.path ?? settingsPathFromEnv(env);
  const file = resolve(opts.cwd ?? process.cwd(), explicit ?? DEFAULT_SETTINGS_PATH);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(code === "ENOENT" && explicit === undefined)) {
      const why = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? "error"})`;
      throw new InvalidConfigError({ cause: err }, `settings file ${file} ${why}`);
    }
  }
  const doc = text === undefined ? {} : parseYaml(text, file);
  const { raw, origins } = applyEnvOverrides(doc, env);
  const originOf = originLookup(origins);
  const baseDir = text === undefined ? resolve(opts.cwd ?? process.cwd()) : dirname(file);
  const settings = resolveSettingsPaths(validateSettingsDocument(raw, originOf), baseDir);
  return { settings, baseDir, raw, path: text === undefined ? undefined : file, originOf };
}

function parseYaml(text: string, file: string): Record<string, unknown> {
  // Duplicate keys are errors (uniqueKeys); alias expansion is capped by the library's maxAliasCount.
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    // Only the first line, and no cause: the rest quotes the file, which may hold something sensitive.
    const what = (first.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:$/, "");
    throw new InvalidConfigError({}, `${where}: YAML syntax error: ${what}`);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // e.g. an unresolved or excessive alias
    throw new InvalidConfigError({}, `${file}: ${err instanceof Error ? err.message.split("\n")[0] : "cannot be read as YAML"}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new InvalidConfigError({}, `${file} must hold a YAML mapping at the top level`);
  return value as Record<string, unknown>;
}
