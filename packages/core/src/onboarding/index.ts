/**
 * Bringing locations under the router: bulk onboarding (resolve → token → verify → persist → live), and
 * onboarding by consent (single-use state, code exchange, then the same path for one location).
 */
export { createConsentOnboarding, DEFAULT_AUTHORIZATION_TTL_MS, MAX_AUTHORIZATION_TTL_MS, MAX_PENDING_AUTHORIZATIONS } from "./consent-onboarding.js";
export type { ConsentOnboarding, ConsentOnboardingDeps } from "./consent-onboarding.js";
export type { OnboardingInput, OnboardingOptions, OnboardingOutcome, OnboardingResult } from "./onboarding.js";

// Internal: used by other folders of the core, not part of the package's API.
export { onboardLocations } from "./onboarding.js";
