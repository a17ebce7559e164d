/**
 * The settings file and its PODIUM_ROUTER_* environment overrides, read into a validated `Settings`; the
 * section reader is the one toolkit the server validates its own `server:` section with.
 */
export { ENV_PREFIX, SETTINGS_PATH_ENV, settingsPathFromEnv } from "./settings-env.js";
export { DEFAULT_SETTINGS_PATH, defaultSettings, loadSettings, validateSettings } from "./settings.js";
export type { BudgetRate, BudgetSettings, FsyncPolicy, LoadedSettings, LoadSettingsOptions, QuotaGroupBy, RetrySettings, Settings, SettingsExtras, UpstreamSettings } from "./settings.js";
