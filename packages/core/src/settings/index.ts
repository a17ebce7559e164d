/**
 * The settings file and its PODIUM_ROUTER_* environment overrides, read into a validated `Settings`; the
 * section reader is the one toolkit the server validates its own `server:` section with.
 */
export { createSectionReader } from "./settings-reader.js";
export type { OriginOf, SectionReader } from "./settings-reader.js";
export { defaultSettings, validateSettings } from "./settings.js";
export { loadSettings } from "./load-settings.js";
export type { Settings } from "./settings.js";
export type { LoadedSettings, LoadSettingsOptions } from "./load-settings.js";
export { resolveSettingsPaths, storageLocations } from "./settings-paths.js";

// Internal: used by other folders of the core, not part of the package's API.
export { PODIUM_EVENT_TYPES } from "./events-section.js";
export type { EventsBackend, EventsSettings, ForwarderSettings, ForwardRetrySettings } from "./events-section.js";
export type { IsolationSettings } from "./isolation-section.js";
