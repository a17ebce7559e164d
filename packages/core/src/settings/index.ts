/**
 * The settings file and its PODIUM_ROUTER_* environment overrides, read into a validated `Settings`; the
 * section reader is the one toolkit the server validates its own `server:` section with.
 */
export { createSectionReader } from "./settings-reader.js";
export type { OriginOf, SectionReader } from "./settings-reader.js";
export { defaultSettings, loadSettings, validateSettings } from "./settings.js";
export type { LoadedSettings, LoadSettingsOptions, Settings } from "./settings.js";
export { resolveSettingsPaths, storageLocations } from "./settings-paths.js";
