/**
 * How an org slug maps to a Podium organization. The slug is the operator's label; Podium knows organizations by
 * uid. The first location onboarded under a slug pins the slug to the organization Podium reports for that
 * location's credential, and the organization to the slug: one slug, one organization, both ways. A later
 * location whose organization differs from its slug's pin, or whose organization is pinned to another slug, is
 * refused, so an audit line never names a location under another organization's slug. Locations registered before
 * organization uids were learned pin nothing until their next verification learns theirs.
 */
import { OrganizationMismatchError } from "@podium-router/errors";
import type { LocationRecord } from "../credentials/index.js";

/** What a location claims: its uid, the slug the operator gave, the organization Podium reported. */
export interface IdentityClaim {
  locationUid: string;
  orgSlug: string;
  organizationUid: string;
}

/** The router's pins, over its registered locations plus the onboardings in flight. */
export interface OrganizationPins {
  /**
   * Checks the claim against every registered location and every claim in flight, and holds it until `release`
   * (call it once the location is stored, or failed), so two concurrent onboardings cannot pin one slug to two
   * organizations. Throws OrganizationMismatchError naming both sides. Synchronous: check and hold are one step.
   */
  claim(claim: IdentityClaim): () => void;
  /** The same check without holding anything (dry runs). */
  check(claim: IdentityClaim): void;
}

/** `records` lists the registered locations (the live router's, in memory). */
export function createOrganizationPins(records: () => Iterable<Pick<LocationRecord, "locationUid" | "orgSlug" | "organizationUid" | "name">>): OrganizationPins {
  const inFlight = new Map<number, IdentityClaim>();
  let seq = 0;

  const check = (c: IdentityClaim): void => {
    const others = function* () {
      for (const r of records()) if (r.locationUid !== c.locationUid) yield r;
      for (const f of inFlight.values()) if (f.locationUid !== c.locationUid) yield f;
    };
    for (const r of others()) {
      if (r.organizationUid === undefined) continue;
      const named = `location ${r.locationUid}${"name" in r && r.name ? ` ("${r.name}")` : ""}`;
      if (r.orgSlug === c.orgSlug && r.organizationUid !== c.organizationUid) {
        throw new OrganizationMismatchError(
          { locationUid: c.locationUid },
          `org slug "${c.orgSlug}" is pinned to Podium organization ${r.organizationUid} (by ${named}), but Podium reports location ${c.locationUid} in organization ${c.organizationUid}`,
        );
      }
      if (r.organizationUid === c.organizationUid && r.orgSlug !== c.orgSlug) {
        throw new OrganizationMismatchError(
          { locationUid: c.locationUid },
          `Podium reports location ${c.locationUid} in organization ${c.organizationUid}, which is registered as org slug "${r.orgSlug}" (by ${named}), not "${c.orgSlug}"`,
        );
      }
    }
  };

  return {
    check,
    claim(c) {
      check(c);
      const key = ++seq;
      inFlight.set(key, { ...c });
      return () => void inFlight.delete(key);
    },
  };
}
