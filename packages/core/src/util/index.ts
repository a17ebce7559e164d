/**
 * Small helpers with no domain knowledge: atomic file writes, call signals and deadlines, single-flight,
 * bounded concurrency, the logger interface, JSON error offsets and the JSON-object test.
 */

// Internal: used by other folders of the core, not part of the package's API.
export { writeFileAtomic } from "./atomic-file.js";
export { callerAbortError, linkCallSignal, waitFor } from "./call-signal.js";
export type { CallSignal } from "./call-signal.js";
export { isJsonObject } from "./is-json-object.js";
export { jsonErrorOffset } from "./json-error-offset.js";
export { noopLogger } from "./logger.js";
export type { CoreLogger } from "./logger.js";
export { mapConcurrent } from "./map-concurrent.js";
export { SingleFlight } from "./single-flight.js";
