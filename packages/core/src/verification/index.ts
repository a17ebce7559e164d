/**
 * Proving a location is in its credential's scope: the GET /v4/locations listing (all pages), a TTL cache
 * with single-flight per location, and one listing shared by a grant's locations.
 */
export type { VerificationState } from "./location-verifier.js";

// Internal: used by other folders of the core, not part of the package's API.
export { getLocationStatus, listAllLocations } from "./location-listing.js";
export type { ListedLocation } from "./location-listing.js";
export { createLocationVerifier, NEGATIVE_TTL_MS } from "./location-verifier.js";
export type { LocationVerifier, VerifyOutcome, VerifyTarget } from "./location-verifier.js";
