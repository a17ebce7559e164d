/**
 * Which locations a Podium object names as its own, read the way the second appendix of podium-api.md says
 * answers name them: `locationUid`, `location.uid` (or `location` as a uid), `locations[]` (uids or `{uid}`),
 * `locationUids[]`; an object naming none of those but an organization (`organizationUid`, `organization`) is
 * organization-level.
 */

/** What an object says about its owners. */
export type OwnerView =
  /** The object names these locations (at least one). */
  | { readonly kind: "locations"; readonly uids: readonly string[]; readonly organizationUid: string | undefined }
  /** The object names no location but an organization: an organization-level object. */
  | { readonly kind: "organization"; readonly organizationUid: string | undefined }
  /** The object names neither (e.g. `{identifier}` after a contact write): nothing to check it against. */
  | { readonly kind: "none" };

const NONE: OwnerView = Object.freeze({ kind: "none" });

/** The owners an object names; `itemIsLocation` for location objects, owned by their own `uid`. */
export function ownersOf(value: unknown, itemIsLocation = false): OwnerView {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return NONE;
  const obj = value as Record<string, unknown>;
  const organizationUid = organizationOf(obj);
  if (itemIsLocation) {
    const uid = obj["uid"];
    return typeof uid === "string" ? { kind: "locations", uids: [uid], organizationUid } : NONE;
  }
  const uids: string[] = [];
  let named = false;
  if ("locationUid" in obj) {
    named = true;
    if (typeof obj["locationUid"] === "string") uids.push(obj["locationUid"]);
  }
  if ("location" in obj) {
    named = true;
    const loc = obj["location"];
    if (typeof loc === "string") uids.push(loc);
    else if (typeof loc === "object" && loc !== null && typeof (loc as { uid?: unknown }).uid === "string") uids.push((loc as { uid: string }).uid);
  }
  for (const key of ["locations", "locationUids"]) {
    if (!(key in obj)) continue;
    named = true;
    const list = obj[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (typeof item === "string") uids.push(item);
      else if (typeof item === "object" && item !== null && typeof (item as { uid?: unknown }).uid === "string") uids.push((item as { uid: string }).uid);
    }
  }
  if (uids.length > 0) return { kind: "locations", uids, organizationUid };
  // Location fields present but empty (`locations: []`, `location: null`) mean the organization, as does an
  // object that names only its organization.
  return named || organizationUid !== undefined ? { kind: "organization", organizationUid } : NONE;
}

function organizationOf(obj: Record<string, unknown>): string | undefined {
  const direct = obj["organizationUid"];
  if (typeof direct === "string") return direct;
  const org = obj["organization"];
  if (typeof org === "object" && org !== null && typeof (org as { uid?: unknown }).uid === "string") return (org as { uid: string }).uid;
  return undefined;
}
