import type { Reply } from "./http-io.js";
import { pageEnvelope, readPageRequest } from "./paginate.js";
import { PodiumHttpError } from "./podium-error.js";
import { recordRead, recordWrite } from "./resource-access.js";
import { NO_OWNERS, ownersOf, type ResourceRef } from "./resource-store.js";
import type { PodiumLocation } from "./sandbox-model.js";
import { isoNow, PODIUM_VERSION, singleMetadata, type SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

const SEARCH_FIELDS = new Set(["address", "displayName", "name", "podiumPhoneNumber"]);
const PATCHABLE = new Set(["name", "displayName", "phoneNumber", "addressDetails"]);

/** A location as a ledger resource: it owns itself. */
const locationRef = (loc: PodiumLocation): ResourceRef => ({ uid: loc.uid, organizationUid: loc.organizationUid, owners: ownersOf([loc.uid]) });

/** GET /v4/locations: the token's locations (never another grant's), minus deleted ones, paginated. */
export function listLocations(state: SandboxState, req: V4Request): Reply {
  const page = readPageRequest(req.query, "locations", ["search", "searchFields", "updatedAfter"], state.faults.cursorIgnoresFilters);
  const search = page.filters["search"]?.toLowerCase();
  const fields = (page.filters["searchFields"] ?? "name").split(",");
  for (const f of fields) {
    if (!SEARCH_FIELDS.has(f)) throw new PodiumHttpError("invalid_request_values", `searchFields must be among ${[...SEARCH_FIELDS].join(", ")}`);
  }
  const updatedAfterRaw = page.filters["updatedAfter"];
  const updatedAfter = updatedAfterRaw === undefined ? undefined : Date.parse(updatedAfterRaw);
  if (updatedAfter !== undefined && Number.isNaN(updatedAfter)) throw new PodiumHttpError("invalid_request_values", "updatedAfter must be an ISO 8601 date-time");
  const items: PodiumLocation[] = [];
  for (const uid of req.grant.locationUids) {
    if (state.deleted.has(uid)) continue;
    const loc = state.model.locations.get(uid) as PodiumLocation;
    if (updatedAfter !== undefined && Date.parse(loc.updatedAt) <= updatedAfter) continue;
    if (search !== undefined && !fields.some((f) => String(loc[f as keyof PodiumLocation] ?? "").toLowerCase().includes(search))) continue;
    items.push(loc);
  }
  const record = (loc: PodiumLocation): void => recordRead(req, "location", locationRef(loc));
  return { status: 200, body: pageEnvelope(state, req.path, "locations", items, page, (l) => l, record) };
}

/** GET /v4/locations/{uid}: the pipeline already refused unknown, deleted and foreign uids. */
export function getLocation(state: SandboxState, req: V4Request): Reply {
  const loc = state.model.locations.get(req.params["uid"] as string) as PodiumLocation;
  recordRead(req, "location", locationRef(loc));
  return { status: 200, body: { data: loc, metadata: singleMetadata(state, req.path) } };
}

/** PATCH /v4/locations/{uid}: updates name, displayName, phoneNumber, addressDetails (all checked first). */
export function patchLocation(state: SandboxState, req: V4Request): Reply {
  const loc = state.model.locations.get(req.params["uid"] as string) as PodiumLocation;
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!PATCHABLE.has(key)) throw new PodiumHttpError("invalid_request_values", `Unknown field: ${key}`);
  }
  for (const key of ["name", "displayName", "phoneNumber"] as const) {
    const v = body[key];
    if (v !== undefined && (typeof v !== "string" || v === "")) throw new PodiumHttpError("invalid_request_values", `${key} must be a non-empty string`);
  }
  const d = body["addressDetails"];
  if (d !== undefined && (typeof d !== "object" || d === null || Array.isArray(d))) throw new PodiumHttpError("invalid_request_values", "addressDetails must be an object");
  for (const key of ["name", "displayName", "phoneNumber"] as const) if (body[key] !== undefined) loc[key] = body[key] as string;
  if (d !== undefined) loc.addressDetails = { ...loc.addressDetails, ...(d as Record<string, string>) };
  loc.updatedAt = isoNow(state);
  recordWrite(state, req, "location", locationRef(loc), "update", () => ({ ...loc }));
  return { status: 200, body: { data: loc, metadata: singleMetadata(state, req.path) } };
}

/** GET /v4/organizations/{uid}: the token's own organization (the pipeline refused any other). */
export function getOrganization(state: SandboxState, req: V4Request): Reply {
  const org = state.model.orgByUid.get(req.grant.organizationUid);
  const data = org === undefined ? null : { uid: org.organizationUid, businessName: org.businessName, archived: false, createdAt: org.createdAt, updatedAt: org.createdAt };
  if (org !== undefined) recordRead(req, "organization", { uid: org.organizationUid, organizationUid: org.organizationUid, owners: NO_OWNERS });
  return { status: 200, body: { data, metadata: { url: `${state.baseUrl}${req.path}`, version: PODIUM_VERSION } } };
}
