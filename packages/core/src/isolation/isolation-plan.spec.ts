import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCursorBinder } from "./cursor-binding.js";
import { planIsolation, type IsolationTarget } from "./isolation-plan.js";
import { guardRequest, type GuardCall } from "./location-guard.js";

const A = "loc-a";
const ORG = "org-1";
const cursors = createCursorBinder(randomBytes(32));
const target: IsolationTarget = { locationUid: A, organizationUid: ORG, orgSlug: "acme", organizationGranted: false, requestId: "r-1" };
const plan = (call: GuardCall, t: IsolationTarget = target) => planIsolation(guardRequest(call, { locationUid: A, organizationUid: ORG }, { maxBodyBytes: 65536 }), t, cursors);
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
};

describe("planIsolation()", () => {
  it("refuses an organization-level operation without an organization grant, and plans it with one", () => {
    expect(codeOf(() => plan({ method: "GET", path: "/v4/products" }))).toBe("ERR_LOC_PERMISSION_DENIED");
    expect(plan({ method: "GET", path: "/v4/products" }, { ...target, organizationGranted: true }).class).toBe("organization");
  });

  it("makes a campaign without locations, an organization template and an organization webhook organization-level", () => {
    expect(codeOf(() => plan({ method: "POST", path: "/v4/campaigns", body: JSON.stringify({ name: "x", locations: [] }) }))).toBe("ERR_LOC_PERMISSION_DENIED");
    expect(codeOf(() => plan({ method: "POST", path: "/v4/templates", body: JSON.stringify({ accessLevel: "organization" }) }))).toBe("ERR_LOC_PERMISSION_DENIED");
    expect(codeOf(() => plan({ method: "POST", path: "/v4/webhooks", body: JSON.stringify({ organizationUid: ORG }) }))).toBe("ERR_LOC_PERMISSION_DENIED");
    expect(plan({ method: "POST", path: "/v4/webhooks", body: JSON.stringify({ locationUid: A }) }).class).toBe("location");
  });

  it("sends the routed location as the list's filter where Podium has one, unless the caller named it", () => {
    expect(plan({ method: "GET", path: "/v4/conversations?limit=5" }).search).toBe(`?limit=5&locationUid=${A}`);
    expect(plan({ method: "GET", path: `/v4/conversations?locationUid=${A}` }).search).toBe(`?locationUid=${A}`);
    expect(plan({ method: "GET", path: "/v4/reviews/summary" }).search).toBe(`?locationUids=${A}`);
    expect(plan({ method: "GET", path: "/v4/contacts" }).search).toBe("");
  });

  it("swaps the router's cursor for Podium's, and refuses any other cursor", () => {
    const mine = cursors.bind(A, "/v4/contacts", "podium+cursor/1=");
    expect(plan({ method: "GET", path: `/v4/contacts?limit=5&cursor=${encodeURIComponent(mine)}` }).search).toBe(`?limit=5&cursor=${encodeURIComponent("podium+cursor/1=")}`);
    expect(codeOf(() => plan({ method: "GET", path: "/v4/contacts?cursor=podium-raw" }))).toBe("ERR_LOC_BAD_REQUEST");
    expect(codeOf(() => plan({ method: "GET", path: `/v4/contacts?cursor=${encodeURIComponent(cursors.bind("loc-b", "/v4/contacts", "c"))}` }))).toBe("ERR_LOC_BAD_REQUEST");
    expect(codeOf(() => plan({ method: "GET", path: `/v4/reviews?cursor=${encodeURIComponent(mine)}` }))).toBe("ERR_LOC_BAD_REQUEST");
    expect(codeOf(() => plan({ method: "GET", path: `/v4/contacts?cursor=${encodeURIComponent(mine)}&cursor=${encodeURIComponent(mine)}` }))).toBe("ERR_LOC_BAD_REQUEST");
  });

  it("names the resource an owned call addresses, its id decoded", () => {
    const p = plan({ method: "GET", path: "/v4/contacts/%2B61400100011" });
    expect(p.class).toBe("owned");
    expect(p.owner).toMatchObject({ id: "+61400100011", lookup: { kind: "contact", get: "/v4/contacts/{id}" } });
    expect(plan({ method: "GET", path: "/v4/conversations/v-1/messages/m-1" }).owner).toMatchObject({ id: "v-1", lookup: { kind: "conversation" } });
  });
});
