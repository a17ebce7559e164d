import type { ResourceSeed } from "./resource-seed.js";

/**
 * The seed data a sandbox starts from: organizations with their locations, users, OAuth apps and grants.
 * A grant is one user's consent for one app: it reaches one organization and a subset of its locations,
 * with a set of scopes, and owns a refresh token.
 */

/** An ISO postal address, as Podium's `addressDetails`. */
export interface FixtureAddressDetails {
  houseNumber: string;
  road: string;
  unit: string;
  city: string;
  state: string;
  stateLongName: string;
  postalCode: string;
  country: string;
  countryLongName: string;
}

/** A location; the fields are Podium's location object (podium-api.md §3) minus the derived ones. */
export interface FixtureLocation {
  uid: string;
  name: string;
  /** @default name */
  displayName?: string;
  phoneNumber?: string | null;
  podiumPhoneNumber?: string | null;
  addressDetails?: FixtureAddressDetails | null;
  /** ISO 8601. @default "2024-01-15T00:00:00Z" */
  createdAt?: string;
}

/** An organization (Podium's "organization") and every location it holds. */
export interface FixtureOrg {
  /** Stable short name used by the router's settings (`org_slug`). */
  slug: string;
  organizationUid: string;
  businessName: string;
  locations: FixtureLocation[];
}

/** A Podium user who can consent to apps. */
export interface FixtureUser {
  uid: string;
  email: string;
  firstName: string;
  lastName: string;
  orgSlug: string;
}

/** A developer-portal app: its client credentials. */
export interface FixtureApp {
  clientId: string;
  clientSecret: string;
  name: string;
  /** Allowed `redirect_uri` values for /oauth/authorize; empty or absent allows any http(s) URI. */
  redirectUris?: string[];
  /**
   * Uid or email of the user whose consent GET /oauth/authorize gives when no `login_hint` is sent.
   * @default the user of the client's first grant
   */
  consentUser?: string;
}

/** One user's consent for one app: the org, the locations it reaches, the scopes, the refresh token. */
export interface FixtureGrant {
  grantId: string;
  clientId: string;
  userUid: string;
  orgSlug: string;
  /** Location names or uids of the grant's org. */
  locations: string[];
  scopes: string[];
  refreshToken: string;
}

/** The whole seed. */
export interface SandboxFixture {
  orgs: FixtureOrg[];
  users: FixtureUser[];
  apps: FixtureApp[];
  grants: FixtureGrant[];
  /** Seeded resources (contacts, reviews, invoices …); none when absent. */
  resources?: ResourceSeed;
}

/** Every scope Podium publishes or its OpenAPI requires (podium-api.md §1). */
export const allPodiumScopes: readonly string[] = [
  "write_appointments",
  "read_campaigns",
  "write_campaigns",
  "write_campaign_messages",
  "read_contacts",
  "write_contacts",
  "write_data_feed_event",
  "read_feedback",
  "write_feedback",
  "read_locations",
  "write_locations",
  "read_messages",
  "write_messages",
  "read_organizations",
  "read_payments",
  "write_payments",
  "read_phones",
  "read_products",
  "write_products",
  "read_reviews",
  "write_reviews",
  "read_templates",
  "write_templates",
  "read_users",
  "write_writebacks",
];
