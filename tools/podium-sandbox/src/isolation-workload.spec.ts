import { describe, expect, it } from "vitest";
import { defaultFixtureIds } from "./fixtures/default-fixture-ids.js";
import { createIsolationWorkload, judgeCall, seededChoices, WORKLOAD_OPERATIONS, type OwnersOfFn, type WorkloadCall } from "./isolation-workload.js";
import type { LedgerEntry } from "./ledger.js";
import type { ResourceAccess } from "./resource-access.js";

const cs = defaultFixtureIds.coastalSmiles;
const S = cs.locations.sydney;
const B = cs.locations.burleighHeads;
const ORG = cs.organizationUid;

/** A stand-in for the core's ownersOf: `locations[]` or `locationUid`, else the organization. */
const ownersOf: OwnersOfFn = (value) => {
  const o = value as Record<string, unknown>;
  const uids = Array.isArray(o["locations"]) ? (o["locations"] as string[]) : typeof o["locationUid"] === "string" ? [o["locationUid"] as string] : [];
  const organizationUid = typeof o["organizationUid"] === "string" ? (o["organizationUid"] as string) : undefined;
  return uids.length > 0 ? { kind: "locations", uids, organizationUid } : { kind: "organization", organizationUid };
};
const call = (over: Partial<WorkloadCall> = {}): WorkloadCall => ({ seq: 0, op: "PATCH /v4/contacts/{identifier}", class: "owned", locationUid: S, method: "PATCH", path: "/v4/contacts/x", requestId: "r-0", ...over });
const entry = (...resources: Partial<ResourceAccess>[]): LedgerEntry =>
  ({ seq: 1, ts: "", method: "PATCH", path: "/v4/contacts/x", route: "/v4/contacts/{identifier}", status: 202, locationUids: [], requestId: "r-0", resources: resources.map((r) => ({ kind: "contact", id: "x", access: "update", owners: [S], organizationUid: ORG, ...r })) }) as LedgerEntry;
const ok = { ok: true as const, status: 200, body: "" };
const judge = (c: WorkloadCall, e: LedgerEntry[], answer: Parameters<typeof judgeCall>[1] = ok) => judgeCall(c, answer, e, ownersOf, [S, B]).map((x) => x.what);

describe("judgeCall()", () => {
  it("passes a write to the routed location's own resource, and a shared one it keeps", () => {
    expect(judge(call(), [entry({}), entry({ owners: [S, B] })])).toEqual([]);
  });

  it("flags a write to another location's resource, a removed or added owner, and a shared delete", () => {
    expect(judge(call(), [entry({ owners: [B] })])).toHaveLength(1);
    expect(judge(call(), [entry({ owners: [S, B], ownersAfter: [S] })])).toHaveLength(1);
    expect(judge(call(), [entry({ owners: [S], ownersAfter: [S, B] })])).toHaveLength(1);
    expect(judge(call(), [entry({ owners: [S, B], access: "delete" })])).toHaveLength(1);
    expect(judge(call(), [entry({ owners: [B], access: "create" })])).toHaveLength(1);
  });

  it("flags an organization-level write without a grant, and passes it with one", () => {
    expect(judge(call(), [entry({ owners: [] })])).toHaveLength(1);
    expect(judge(call({ organizations: [cs.slug] }), [entry({ owners: [] })])).toEqual([]);
  });

  it("flags an answer naming another location or organization, never its own or a shared one", () => {
    const body = (data: unknown) => ({ ok: true as const, status: 200, body: JSON.stringify({ data }) });
    expect(judge(call(), [], body([{ locations: [S, B] }, { locationUid: S }]))).toEqual([]);
    expect(judge(call(), [], body([{ locations: [B] }]))).toHaveLength(1);
    expect(judge(call(), [], body({ locationUid: B }))).toHaveLength(1);
    expect(judge(call(), [], body({ organizationUid: defaultFixtureIds.harbourAuto.organizationUid }))).toHaveLength(1);
  });

  it("flags a bad input that was answered or sent anything", () => {
    const bad = call({ op: "bad: unknown route", class: "unknown route" });
    expect(judge(bad, [], { ok: false, code: "ERR_LOC_BAD_REQUEST", message: "no" })).toEqual([]);
    expect(judge(bad, [entry()], { ok: false, code: "ERR_LOC_BAD_REQUEST", message: "no" })).toHaveLength(1);
    expect(judge(bad, [], ok)).toHaveLength(1);
  });

  it("flags a refusal that names another location the request did not", () => {
    expect(judge(call(), [], { ok: false, code: "ERR_LOC_NOT_OWNED", message: `owned by ${B}` })).toHaveLength(1);
  });
});

describe("createIsolationWorkload()", () => {
  it("covers all 86 operations and is the same for the same choices", () => {
    expect(new Set(WORKLOAD_OPERATIONS).size).toBe(86);
    const a = createIsolationWorkload();
    const b = createIsolationWorkload();
    const ca = seededChoices(7);
    const cb = seededChoices(7);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const x = a.next(ca());
      expect(b.next(cb())).toEqual(x);
      seen.add(x.op);
    }
    expect(WORKLOAD_OPERATIONS.filter((op) => !seen.has(op))).toEqual([]);
  });
});
