import { describe, expect, it } from "vitest";
import { NO_OWNERS, ownersOf, ResourceStore, sameOwners, type StoredResource } from "./resource-store.js";

const rec = (uid: string, organizationUid: string, owners: string[]): StoredResource => ({ uid, organizationUid, owners: ownersOf(owners), seq: 0, createdAt: "t", updatedAt: "t" });
const uids = (list: StoredResource[]): string[] => list.map((r) => r.uid);

describe("ResourceStore", () => {
  it("finds a resource only within its organization", () => {
    const store = new ResourceStore();
    store.add(rec("r1", "org-a", ["a1"]));
    expect(store.get("org-a", "r1")?.uid).toBe("r1");
    expect(store.get("org-b", "r1")).toBeUndefined();
    expect(store.has("r1")).toBe(true);
    expect(() => store.add(rec("r1", "org-b", []))).toThrow(/already exists/);
  });

  it("selects by owning location, in insertion order, with organization-level items only when asked", () => {
    const store = new ResourceStore();
    store.add(rec("s1", "org", ["syd"]));
    store.add(rec("o1", "org", []));
    store.add(rec("sb", "org", ["syd", "bur"]));
    store.add(rec("b1", "org", ["bur"]));
    store.add(rec("x1", "other", ["syd-of-other"]));
    expect(uids(store.select("org", ["syd"], false))).toEqual(["s1", "sb"]);
    expect(uids(store.select("org", ["syd"], true))).toEqual(["s1", "o1", "sb"]);
    expect(uids(store.select("org", ["syd", "bur"], false))).toEqual(["s1", "sb", "b1"]);
    expect(uids(store.select("org", ["syd", "bur"], true))).toEqual(["s1", "o1", "sb", "b1"]);
    expect(uids(store.select("org", [], true))).toEqual(["o1"]);
    expect(uids(store.all("org"))).toEqual(["s1", "o1", "sb", "b1"]);
  });

  it("re-indexes on setOwners and keeps insertion order; remove drops every index", () => {
    const store = new ResourceStore();
    const a = store.add(rec("a", "org", ["syd"]));
    store.add(rec("b", "org", ["bur"]));
    store.setOwners(a, ownersOf(["bur"]));
    expect(uids(store.select("org", ["syd"], false))).toEqual([]);
    expect(uids(store.select("org", ["bur"], false))).toEqual(["a", "b"]);
    store.setOwners(a, NO_OWNERS);
    expect(uids(store.select("org", ["bur"], true))).toEqual(["a", "b"]);
    store.remove(a);
    expect(store.get("org", "a")).toBeUndefined();
    expect(uids(store.select("org", ["bur"], true))).toEqual(["b"]);
    expect(store.size).toBe(1);
  });
});

describe("ownersOf() / sameOwners()", () => {
  it("de-duplicates and freezes, so ledger entries can share the array", () => {
    const owners = ownersOf(["a", "b", "a"]);
    expect(owners).toEqual(["a", "b"]);
    expect(Object.isFrozen(owners)).toBe(true);
    expect(ownersOf([])).toBe(NO_OWNERS);
    expect(sameOwners(["a"], ["a"])).toBe(true);
    expect(sameOwners(["a"], ["a", "b"])).toBe(false);
  });
});
