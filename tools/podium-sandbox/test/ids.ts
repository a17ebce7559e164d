/** Short names for the default fixture's ids, shared by the specs. */
import { defaultFixtureIds } from "../src/fixtures/default-fixture-ids.js";
import { defaultResourceIds } from "../src/fixtures/default-resources.js";

/** coastal-smiles: organization, locations, users, grants. */
export const cs = defaultFixtureIds.coastalSmiles;
/** harbour-auto: organization, locations, users, grants. */
export const ha = defaultFixtureIds.harbourAuto;
/** coastal-smiles' seeded resources. */
export const c = defaultResourceIds.coastalSmiles;
/** harbour-auto's seeded resources. */
export const h = defaultResourceIds.harbourAuto;
export const org = cs.organizationUid;
export const S = cs.locations.sydney;
export const B = cs.locations.burleighHeads;
