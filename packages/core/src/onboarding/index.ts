/**
 * Bringing locations under the router: bulk onboarding (resolve → token → verify → persist → live), and
 * onboarding by consent (single-use state, code exchange, then the same path for one location).
 */
export type { OnboardingInput, OnboardingOptions, OnboardingOutcome, OnboardingResult, RefreshTokenSource } from "./onboarding.js";
export { isRefreshTokenValue, REFRESH_TOKEN_RULE } from "./onboarding.js";

// Internal: used by other folders of the core, not part of the package's API.
export { createConsentOnboarding } from "./consent-onboarding.js";
export { onboardLocations } from "./onboarding.js";
export { createOrganizationPins } from "./organization-pins.js";
export type { OrganizationPins } from "./organization-pins.js";
export { appNameOf } from "./reonboard.js";
export type { BrokenReason, RegisteredLocation } from "./reonboard.js";
