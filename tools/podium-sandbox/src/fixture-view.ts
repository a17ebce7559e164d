import type { FixtureUser } from "./fixture.js";
import type { ResourceSeed } from "./resource-seed.js";
import type { AddedGrant, GrantState, SandboxModel } from "./sandbox-model.js";

/** A location as the fixture view lists it. */
export interface FixtureViewLocation {
  uid: string;
  name: string;
  organizationUid: string;
  orgSlug: string;
  /** True while the `deletedLocations` fault names it. */
  deleted: boolean;
}

/** The sandbox's current seed data, as `GET /_sandbox/fixture` and `sandbox.fixture` return it. */
export interface SandboxFixtureView {
  orgs: { slug: string; organizationUid: string; businessName: string; locations: { uid: string; name: string }[] }[];
  /** Each with its client credentials and current refresh token (sandbox values, never real secrets). */
  grants: AddedGrant[];
  locations: FixtureViewLocation[];
  users: FixtureUser[];
  /** The resources the fixture seeded (uids, owning locations, phone numbers, emails), as seeded. */
  resources: ResourceSeed;
}

/** Describe one grant in the shape `addGrant()` returns. */
export function describeGrant(model: SandboxModel, grant: GrantState): AddedGrant {
  const app = model.apps.get(grant.clientId);
  return {
    grantId: grant.grantId,
    orgSlug: grant.orgSlug,
    organizationUid: grant.organizationUid,
    userUid: grant.userUid,
    clientId: grant.clientId,
    clientSecret: app?.clientSecret ?? "",
    refreshToken: grant.refreshToken,
    scopes: [...grant.scopes],
    locations: model.grantLocations(grant),
  };
}

/** Build the fixture view (a fresh copy; callers may keep or change it freely). */
export function buildFixtureView(model: SandboxModel, deleted: ReadonlySet<string>, resources: ResourceSeed = {}): SandboxFixtureView {
  const orgs: SandboxFixtureView["orgs"] = [];
  const locations: FixtureViewLocation[] = [];
  for (const org of model.orgs.values()) {
    const list: { uid: string; name: string }[] = [];
    for (const uid of org.locationUids) {
      const loc = model.locations.get(uid);
      if (loc === undefined) continue;
      list.push({ uid, name: loc.name });
      locations.push({ uid, name: loc.name, organizationUid: org.organizationUid, orgSlug: org.slug, deleted: deleted.has(uid) });
    }
    orgs.push({ slug: org.slug, organizationUid: org.organizationUid, businessName: org.businessName, locations: list });
  }
  const grants = [...model.grants.values()].map((g) => describeGrant(model, g));
  const users = [...model.users.values()].map((u) => ({ ...u }));
  return { orgs, grants, locations, users, resources: structuredClone(resources) };
}
