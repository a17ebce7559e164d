/** Users: each belongs to the locations of its grants (Podium's user object lists `locations`). */
import type { FixtureUser } from "./fixture.js";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { addressable, recordRead } from "./resource-access.js";
import { dateRange, dateRangeParams, listReply } from "./resource-list.js";
import type { ResourceRef } from "./resource-store.js";
import type { SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

const USER_CREATED_AT = "2024-01-15T00:00:00Z";
const SEARCH_FIELDS = new Set(["address", "phone", "fullName"]);

interface UserView extends ResourceRef {
  user: FixtureUser;
}

function view(state: SandboxState, user: FixtureUser, organizationUid: string): UserView {
  return { uid: user.uid, organizationUid, owners: state.model.userLocations(user.uid), user };
}

/** Podium's user object. */
function userJson(v: UserView): Record<string, unknown> {
  const { user } = v;
  return {
    uid: user.uid,
    firstName: user.firstName,
    lastName: user.lastName,
    email: user.email,
    phone: null,
    role: "user",
    archived: false,
    locations: v.owners.map((uid) => ({ uid })),
    createdAt: USER_CREATED_AT,
    updatedAt: USER_CREATED_AT,
  };
}

/** GET /v4/users: users belonging to any location of the token; `search`/`searchFields[]`, `createdAt` range. */
export function listUsers(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "users",
    filters: ["search", "searchFields", "includeAgents", ...dateRangeParams("createdAt")],
    kind: "user",
    items: (filters, scope) => {
      const search = filters["search"]?.toLowerCase();
      const fields = (filters["searchFields"] ?? "fullName").split(",");
      for (const f of fields) if (!SEARCH_FIELDS.has(f)) throw new PodiumHttpError("invalid_request_values", `searchFields must be among ${[...SEARCH_FIELDS].join(", ")}`);
      const created = dateRange(filters, "createdAt");
      const inScope = new Set(scope);
      const out: UserView[] = [];
      for (const user of state.model.users.values()) {
        if (user.orgSlug !== req.grant.orgSlug) continue;
        const v = view(state, user, org);
        if (!v.owners.some((uid) => inScope.has(uid))) continue;
        if (created !== undefined && !created(USER_CREATED_AT)) continue;
        if (search !== undefined && !(fields.includes("fullName") && `${user.firstName} ${user.lastName}`.toLowerCase().includes(search))) continue;
        out.push(v);
      }
      return out;
    },
    toJson: userJson,
  });
}

/** GET /v4/users/{uid}. */
export function getUser(state: SandboxState, req: V4Request): Reply {
  const user = state.model.users.get(req.params["uid"] as string);
  const v = user?.orgSlug === req.grant.orgSlug ? view(state, user, req.grant.organizationUid) : undefined;
  if (v === undefined || !addressable(state, req.grant, v)) throw new PodiumHttpError("resource_not_found", "User not found");
  recordRead(req, "user", v);
  return dataReply(state, req, userJson(v));
}
