/**
 * Proving a location is in its credential's scope: the GET /v4/locations listing (all pages), a TTL cache
 * with single-flight per location, and one listing shared by a grant's locations.
 */
export { getLocationStatus, listAllLocations, LOCATIONS_PAGE_LIMIT, MAX_LOCATION_PAGES } from "./location-listing.js";
export type { ListedLocation, ListingCredential } from "./location-listing.js";
export { createLocationVerifier, NEGATIVE_TTL_MS } from "./location-verifier.js";
export type { LocationVerifier, LocationVerifierOptions, VerifierState, VerifyOutcome, VerifyTarget } from "./location-verifier.js";
