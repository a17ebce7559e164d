import type { Reply } from "./http-io.js";
import { pageEnvelope, readPageRequest } from "./paginate.js";
import { PodiumHttpError } from "./podium-error.js";
import type { PodiumLocation } from "./sandbox-model.js";
import { PODIUM_VERSION, singleMetadata, type SandboxState } from "./sandbox-state.js";
import type { V4Request } from "./v4-request.js";

const SEARCH_FIELDS = new Set(["address", "displayName", "name", "podiumPhoneNumber"]);
const PATCHABLE = new Set(["name", "displayName", "phoneNumber", "addressDetails"]);

/** GET /v4/locations: the token's locations (never another grant's), minus deleted ones, paginated. */
export function listLocations(state: SandboxState, req: V4Request): Reply {
  const page = readPageRequest(req.query, "locations", ["search", "searchFields", "updatedAfter"]);
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
  return { status: 200, body: pageEnvelope(state, req.path, "locations", items, page, (l) => l) };
}

/** GET /v4/locations/{uid}: the pipeline already refused unknown, deleted and foreign uids. */
export function getLocation(state: SandboxState, req: V4Request): Reply {
  const loc = state.model.locations.get(req.params["uid"] as string);
  return { status: 200, body: { data: loc, metadata: singleMetadata(state, req.path) } };
}

/** PATCH /v4/locations/{uid}: updates name, displayName, phoneNumber, addressDetails. */
export function patchLocation(state: SandboxState, req: V4Request): Reply {
  const loc = state.model.locations.get(req.params["uid"] as string) as PodiumLocation;
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!PATCHABLE.has(key)) throw new PodiumHttpError("invalid_request_values", `Unknown field: ${key}`);
  }
  for (const key of ["name", "displayName", "phoneNumber"] as const) {
    const v = body[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "") throw new PodiumHttpError("invalid_request_values", `${key} must be a non-empty string`);
    loc[key] = v;
  }
  if (body["addressDetails"] !== undefined) {
    const d = body["addressDetails"];
    if (typeof d !== "object" || d === null || Array.isArray(d)) throw new PodiumHttpError("invalid_request_values", "addressDetails must be an object");
    loc.addressDetails = { ...loc.addressDetails, ...(d as Record<string, string>) };
  }
  loc.updatedAt = new Date(state.now()).toISOString();
  return { status: 200, body: { data: loc, metadata: singleMetadata(state, req.path) } };
}

/** GET /v4/organizations/{uid}: the token's own organization (the pipeline refused any other). */
export function getOrganization(state: SandboxState, req: V4Request): Reply {
  const org = state.model.orgByUid.get(req.grant.organizationUid);
  const data = org === undefined ? null : { uid: org.organizationUid, businessName: org.businessName, archived: false, createdAt: org.createdAt, updatedAt: org.createdAt };
  return { status: 200, body: { data, metadata: { url: `${state.baseUrl}${req.path}`, version: PODIUM_VERSION } } };
}
