import { describe, expect, it } from "vitest";
import { createMemoryOwnershipCache, ownershipKeyString, type OwnershipKey } from "./ownership-cache.js";

const ORG = "org-coastal";
const key = (id: string, kind = "contact", organizationUid = ORG): OwnershipKey => ({ organizationUid, kind, id });

/** A cache on a clock the test moves by hand. */
function cacheAt(opts: { ttlMs?: number; maxEntries?: number } = {}) {
  let t = 1_000_000;
  const cache = createMemoryOwnershipCache({ ttlMs: opts.ttlMs ?? 60_000, maxEntries: opts.maxEntries ?? 100, now: () => t });
  return { cache, advance: (ms: number) => void (t += ms) };
}

describe("createMemoryOwnershipCache()", () => {
  it("answers the owners it was given, and undefined for a resource it never saw", async () => {
    const { cache } = cacheAt();
    await cache.set(key("c1"), ["loc-a", "loc-b"]);
    expect(await cache.get(key("c1"))).toEqual(["loc-a", "loc-b"]);
    expect(await cache.get(key("c2"))).toBeUndefined();
  });

  it("keeps an empty owner list (an organization-level resource) apart from a miss", async () => {
    const { cache } = cacheAt();
    await cache.set(key("t1", "template"), []);
    expect(await cache.get(key("t1", "template"))).toEqual([]);
  });

  it("keys by organization, kind and id, exactly", async () => {
    const { cache } = cacheAt();
    await cache.set(key("X1"), ["loc-a"]);
    expect(await cache.get(key("x1"))).toBeUndefined();
    expect(await cache.get(key("X1", "conversation"))).toBeUndefined();
    expect(await cache.get(key("X1", "contact", "org-other"))).toBeUndefined();
    // The separator keeps parts from running into each other: ("a", "bc") is not ("ab", "c").
    expect(ownershipKeyString({ organizationUid: "o", kind: "a", id: "bc" })).not.toBe(ownershipKeyString({ organizationUid: "o", kind: "ab", id: "c" }));
  });

  it("trusts an entry for ttlMs and no longer", async () => {
    const { cache, advance } = cacheAt({ ttlMs: 300_000 });
    await cache.set(key("c1"), ["loc-a"]);
    advance(299_999);
    expect(await cache.get(key("c1"))).toEqual(["loc-a"]);
    advance(1);
    expect(await cache.get(key("c1"))).toBeUndefined();
  });

  it("starts the TTL again when an entry is written again", async () => {
    const { cache, advance } = cacheAt({ ttlMs: 1_000 });
    await cache.set(key("c1"), ["loc-a"]);
    advance(900);
    await cache.set(key("c1"), ["loc-b"]);
    advance(900);
    expect(await cache.get(key("c1"))).toEqual(["loc-b"]);
  });

  it("drops the oldest write first when more than maxEntries are written", async () => {
    const { cache } = cacheAt({ maxEntries: 3 });
    for (const id of ["c1", "c2", "c3"]) await cache.set(key(id), [`loc-${id}`]);
    // Writing c1 again makes it the newest: c2 is now the oldest write.
    await cache.set(key("c1"), ["loc-c1"]);
    await cache.set(key("c4"), ["loc-c4"]);
    expect(await cache.get(key("c2"))).toBeUndefined();
    for (const id of ["c1", "c3", "c4"]) expect(await cache.get(key(id))).toEqual([`loc-${id}`]);
    await cache.set(key("c5"), ["loc-c5"]);
    expect(await cache.get(key("c3"))).toBeUndefined();
    expect(await cache.get(key("c1"))).toEqual(["loc-c1"]);
  });

  it("forgets a deleted resource at once, and deleting an unknown one is harmless", async () => {
    const { cache } = cacheAt();
    await cache.set(key("c1"), ["loc-a"]);
    await cache.set(key("c2"), ["loc-a"]);
    await cache.delete(key("c1"));
    await cache.delete(key("never-seen"));
    expect(await cache.get(key("c1"))).toBeUndefined();
    expect(await cache.get(key("c2"))).toEqual(["loc-a"]);
  });

  it("keeps a frozen copy of the owners: neither the caller's array nor a reader can change the entry", async () => {
    const { cache } = cacheAt();
    const owners = ["loc-a"];
    await cache.set(key("c1"), owners);
    owners.push("loc-intruder");
    const got = await cache.get(key("c1"));
    expect(got).toEqual(["loc-a"]);
    expect(Object.isFrozen(got)).toBe(true);
    expect(() => (got as string[]).push("loc-intruder")).toThrow(TypeError);
    expect(await cache.get(key("c1"))).toEqual(["loc-a"]);
  });
});
