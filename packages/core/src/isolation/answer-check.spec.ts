import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkAnswer } from "./answer-check.js";
import { createCursorBinder } from "./cursor-binding.js";
import type { IsolationPlan, IsolationTarget } from "./isolation-plan.js";
import { policyRows } from "./operation-policy.js";
import { ownersOf } from "./owners-of.js";

const A = "loc-a";
const B = "loc-b";
const ORG = "org-1";
const cursors = createCursorBinder(randomBytes(32));
const target: IsolationTarget = { locationUid: A, organizationUid: ORG, orgSlug: "org", organizationGranted: false, requestId: "r-1" };
const policies = new Map(policyRows());
const planOf = (key: string): IsolationPlan => {
  const policy = policies.get(key)!;
  return { class: policy.class, policy, search: "" };
};
const body = (data: unknown, metadata?: unknown) => JSON.stringify(metadata === undefined ? { data } : { data, metadata });

describe("ownersOf()", () => {
  it.each([
    ["locationUid", { locationUid: A }, { kind: "locations", uids: [A] }],
    ["location.uid", { location: { uid: A }, organization: { uid: ORG } }, { kind: "locations", uids: [A], organizationUid: ORG }],
    ["locations of uids and {uid}", { locations: [A, { uid: B }] }, { kind: "locations", uids: [A, B] }],
    ["locationUids", { locationUids: [B] }, { kind: "locations", uids: [B] }],
    ["an empty locations list with an organization", { locations: [], organization: { uid: ORG } }, { kind: "organization", organizationUid: ORG }],
    ["a webhook of the organization", { locationUid: null, organizationUid: ORG }, { kind: "organization", organizationUid: ORG }],
    ["a null location", { location: null }, { kind: "organization" }],
    ["nothing that names one", { identifier: "+61400000000" }, { kind: "none" }],
    ["not an object", [A], { kind: "none" }],
  ])("reads %s", (_label, value, expected) => {
    expect(ownersOf(value)).toMatchObject(expected);
  });

  it("reads a location object by its own uid", () => {
    expect(ownersOf({ uid: B, organizationUid: ORG }, true)).toMatchObject({ kind: "locations", uids: [B] });
  });
});

describe("checkAnswer()", () => {
  it("passes an object of the routed location unchanged, byte for byte", () => {
    const text = body({ uid: "c-1", locations: [{ uid: A }, { uid: B }], organization: { uid: ORG } });
    expect(checkAnswer(text, { route: "/v4/contacts/{identifier}", plan: planOf("GET /v4/contacts/{identifier}") }, target, cursors)).toBe(text);
  });

  it("refuses an object that names only another location, or another organization", () => {
    const call = { route: "/v4/conversations/{uid}", plan: planOf("GET /v4/conversations/{uid}") };
    expect(() => checkAnswer(body({ uid: "v-1", locationUid: B }), call, target, cursors)).toThrow(expect.objectContaining({ code: "ERR_LOC_NOT_OWNED" }));
    expect(() => checkAnswer(body({ uid: "v-1", locationUid: A, organizationUid: "org-2" }), call, target, cursors)).toThrow(expect.objectContaining({ code: "ERR_LOC_NOT_OWNED" }));
    // The refusal never names the owner.
    try {
      checkAnswer(body({ uid: "v-1", locationUid: B }), call, target, cursors);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(B);
    }
  });

  it("keeps only the routed location's items of a list, drops items naming none, nulls totalItems and binds the cursors", () => {
    const items = [{ uid: "1", locations: [A] }, { uid: "2", locations: [B] }, { uid: "3", locations: [A, B] }, { uid: "4" }, { uid: "5", locations: [], organization: { uid: ORG } }];
    const out = JSON.parse(checkAnswer(body(items, { nextCursor: "p2", previousCursor: null, totalItems: 5 }), { route: "/v4/contacts", plan: planOf("GET /v4/contacts") }, target, cursors));
    expect(out.data.map((i: { uid: string }) => i.uid)).toEqual(["1", "3"]);
    expect(out.metadata.totalItems).toBeNull();
    expect(cursors.unbind(A, "/v4/contacts", out.metadata.nextCursor)).toBe("p2");
    expect(out.metadata.previousCursor).toBeNull();
  });

  it("keeps organization-level items only for a caller with an organization grant", () => {
    const items = [{ uid: "w-1", locationUid: A, organizationUid: null }, { uid: "w-2", locationUid: null, organizationUid: ORG }];
    const call = { route: "/v4/webhooks", plan: planOf("GET /v4/webhooks") };
    expect(JSON.parse(checkAnswer(body(items), call, target, cursors)).data).toHaveLength(1);
    expect(JSON.parse(checkAnswer(body(items), call, { ...target, organizationGranted: true }, cursors)).data).toHaveLength(2);
  });

  it("lists only the routed location itself from GET /v4/locations", () => {
    const items = [{ uid: A, organizationUid: ORG }, { uid: B, organizationUid: ORG }];
    const out = JSON.parse(checkAnswer(body(items), { route: "/v4/locations", plan: planOf("GET /v4/locations") }, target, cursors));
    expect(out.data).toEqual([{ uid: A, organizationUid: ORG }]);
  });

  it("refuses to pass a list answer it cannot read, and passes a single unreadable answer (it names nothing)", () => {
    expect(() => checkAnswer("<html>", { route: "/v4/contacts", plan: planOf("GET /v4/contacts") }, target, cursors)).toThrow(expect.objectContaining({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE" }));
    expect(checkAnswer("", { route: "/v4/contacts/{identifier}", plan: planOf("DELETE /v4/contacts/{identifier}") }, target, cursors)).toBe("");
  });
});
