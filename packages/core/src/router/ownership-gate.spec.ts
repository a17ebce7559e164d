import { defaultFixtureIds, defaultResourceIds } from "@podium-router/podium-sandbox";
import { describe, expect, it } from "vitest";
import { createMemoryOwnershipCache } from "../isolation/index.js";
import { codeOf, coastalOwners, createHarness, fixtureGrant, harnessPerTest, type Harness } from "../testing/router-harness.js";
import { trackRedisState, uniquePrefix } from "../testing/redis-test-state.js";
import { absentNote, requireRedis } from "../testing/services.js";

const redisUp = await requireRedis();
const { prefixes } = trackRedisState(redisUp);

const cs = defaultFixtureIds.coastalSmiles;
const ids = defaultResourceIds.coastalSmiles;
const c = ids;
const { sydney: SYDNEY, burleighHeads: BURLEIGH } = cs.locations;
const current = harnessPerTest();

/** Sydney and Burleigh Heads on the owner's credential (reaching all four locations), owner lookups counted. */
async function coastal(opts: { ttlMs?: number; now?: () => number } = {}): Promise<{ hh: Harness; lookups: () => number }> {
  let n = 0;
  const cache = createMemoryOwnershipCache({ ttlMs: opts.ttlMs ?? 300_000, maxEntries: 1000, now: opts.now });
  const hh = (current.h = await coastalOwners({ ownershipCache: cache, onOwnerLookup: () => void n++ }));
  return { hh, lookups: () => n };
}

const sent = (hh: Harness, route: string) => hh.sandbox.ledger().filter((e) => e.route === route);

describe("ownership of a resource addressed by id", () => {
  it("costs one owner lookup when cold and none when warm, and the lookup is the resource's own GET with the location's credential", async () => {
    const { hh, lookups } = await coastal();
    const path = `/v4/conversations/${ids.conversations.sydney}`;
    const first = await hh.router.call({ locationUid: SYDNEY, method: "GET", path });
    expect(first.status).toBe(200);
    expect(lookups()).toBe(1);
    // Two GETs of the conversation reached Podium: the lookup and the call, under the call's request id.
    expect(sent(hh, "/v4/conversations/{uid}").map((e) => e.requestId)).toEqual([first.requestId, first.requestId]);
    await hh.router.call({ locationUid: SYDNEY, method: "PUT", path, body: JSON.stringify({ closed: true }) });
    await hh.router.call({ locationUid: SYDNEY, method: "POST", path: `${path}/notes`, body: JSON.stringify({ body: "called back" }) });
    expect(lookups()).toBe(1);
  });

  it("refuses another location's resource after the lookup, sends nothing else, and caches the refusal's owners too", async () => {
    const { hh, lookups } = await coastal();
    const path = `/v4/conversations/${ids.conversations.sydney}/notes`;
    for (let i = 0; i < 3; i++) expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path, body: JSON.stringify({ body: "x" }) }))).toBe("ERR_LOC_NOT_OWNED");
    expect(lookups()).toBe(1);
    expect(hh.sandbox.ledger().filter((e) => e.method !== "GET" && e.route !== "/oauth/token")).toEqual([]);
    const lines = (await hh.auditLines()).filter((l) => l.error_code === "ERR_LOC_NOT_OWNED");
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.location_uid === BURLEIGH && l.status === 0)).toBe(true);
  });

  it("resolves again after the TTL", async () => {
    let now = Date.now();
    const { hh, lookups } = await coastal({ ttlMs: 1000, now: () => now });
    const path = `/v4/calls/${ids.calls.sydney}`;
    await hh.router.call({ locationUid: SYDNEY, method: "GET", path });
    now += 999;
    await hh.router.call({ locationUid: SYDNEY, method: "GET", path });
    expect(lookups()).toBe(1);
    now += 2;
    await hh.router.call({ locationUid: SYDNEY, method: "GET", path });
    expect(lookups()).toBe(2);
  });

  it("drops the cached owners after a DELETE, so the next call asks Podium (and learns the resource is gone)", async () => {
    const { hh, lookups } = await coastal();
    const path = `/v4/campaigns/${ids.campaigns.sydney}`;
    expect((await hh.router.call({ locationUid: SYDNEY, method: "GET", path })).status).toBe(200);
    expect((await hh.router.call({ locationUid: SYDNEY, method: "DELETE", path })).status).toBe(200);
    expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path }))).toBe("ERR_LOC_NOT_OWNED");
    expect(lookups()).toBe(2);
  });

  it("refuses to delete, or replace the locations of, a resource shared with another location; reads and other writes go on", async () => {
    const { hh } = await coastal();
    const contact = `/v4/contacts/${ids.contacts.shared.uid}`;
    const campaign = `/v4/campaigns/${ids.campaigns.shared}`;
    expect((await hh.router.call({ locationUid: BURLEIGH, method: "GET", path: contact })).status).toBe(200);
    expect((await hh.router.call({ locationUid: BURLEIGH, method: "PATCH", path: contact, body: JSON.stringify({ name: "Casey S." }) })).status).toBe(202);
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "DELETE", path: contact }))).toBe("ERR_LOC_NOT_OWNED");
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "PATCH", path: contact, body: JSON.stringify({ locations: [BURLEIGH] }) }))).toBe("ERR_LOC_NOT_OWNED");
    // The router would fill locations:[Burleigh Heads] and move the campaign away from Sydney.
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "PUT", path: campaign, body: JSON.stringify({ name: "Spring" }) }))).toBe("ERR_LOC_NOT_OWNED");
    const asSydney = JSON.parse((await hh.router.call({ locationUid: SYDNEY, method: "GET", path: contact })).body) as { data: { locations: { uid: string }[] } };
    expect(asSydney.data.locations.map((l) => l.uid).sort()).toEqual([SYDNEY, BURLEIGH].sort());
  });

  it("refuses an organization-level resource by id without an organization grant, and passes it with one", async () => {
    const { hh } = await coastal();
    const path = `/v4/campaigns/${ids.campaigns.organization}`;
    expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path }))).toBe("ERR_LOC_PERMISSION_DENIED");
    expect((await hh.router.call({ locationUid: SYDNEY, method: "GET", path }, { organizations: [cs.slug] })).status).toBe(200);
    expect(await codeOf(hh.router.call({ locationUid: SYDNEY, method: "GET", path }, { organizations: ["another-org"] }))).toBe("ERR_LOC_PERMISSION_DENIED");
  });
});

describe("resources a write acts through", () => {
  it("refuses a refund or an invoice through another location's card reader, before anything is sent", async () => {
    const { hh } = await coastal();
    const refund = (readerUid: string) => ({ amount: 700, channelIdentifier: "+61400555001", customerName: "Pat", readerUid, reason: "duplicate" });
    const invoice = (readerUid: string) => ({ channelIdentifier: "+61400555001", customerName: "Pat", invoiceNumber: "INV-77", lineItems: [{ amount: 1500, description: "Check-up" }], readerUid });
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/refunds", body: JSON.stringify(refund(ids.readers.sydney)) }))).toBe("ERR_LOC_NOT_OWNED");
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/invoices", body: JSON.stringify(invoice(ids.readers.sydney)) }))).toBe("ERR_LOC_NOT_OWNED");
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/refunds", body: JSON.stringify(refund("no-such-reader")) }))).toBe("ERR_LOC_NOT_OWNED");
    expect(hh.sandbox.ledger().filter((e) => e.method === "POST" && e.route !== "/oauth/token")).toEqual([]);
    expect((await hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/refunds", body: JSON.stringify(refund(ids.readers.burleighHeads)) })).status).toBe(200);
    expect((await hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/invoices", body: JSON.stringify(invoice(ids.readers.burleighHeads)) })).status).toBe(200);
  });
});

describe("contact upserts", () => {
  it("refuses a create whose phone number or email is another location's customer's, before Podium can update it", async () => {
    const { hh } = await coastal();
    const amelia = ids.contacts.sydney;
    for (const body of [{ name: "A", phoneNumber: amelia.phoneNumber }, { name: "A", email: amelia.email }, { name: "A", conversationUid: amelia.conversationUid }]) {
      expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/contacts", body: JSON.stringify(body) }))).toBe("ERR_LOC_NOT_OWNED");
    }
    expect(sent(hh, "/v4/contacts").filter((e) => e.method === "POST")).toEqual([]);
    // Its own customer, and a new one, are created (updated) as usual.
    const own = await hh.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "Amelia S.", phoneNumber: amelia.phoneNumber }) });
    expect(own.status).toBe(202);
    expect((await hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "New", phoneNumber: "+61400999001" }) })).status).toBe(202);
  });

  it("refuses a create by phone through a credential that does not reach every location the router serves in its organization", async () => {
    const h = (current.h = await createHarness());
    await h.register(SYDNEY, fixtureGrant(h.sandbox, cs.sydneyGrant.grantId), cs.slug, cs.organizationUid);
    await h.register(BURLEIGH, fixtureGrant(h.sandbox, cs.ownerGrant.grantId), cs.slug, cs.organizationUid);
    await h.restart();
    // Podium hides Burleigh Heads' customer from Sydney's token, yet its create would still match the phone.
    h.sandbox.setFaults({ foreignResourceIds: "rejected" });
    const blake = ids.contacts.burleighHeads;
    expect(await codeOf(h.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "B", phoneNumber: blake.phoneNumber }) }))).toBe("ERR_LOC_NOT_OWNED");
    expect(h.sandbox.ledger().filter((e) => e.method === "POST" && e.route === "/v4/contacts")).toEqual([]);
    // Without a phone number or email there is nothing to match: created.
    expect((await h.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: "Walk-in" }) })).status).toBe(202);
  });

  it("refuses a message whose contactName would rename another location's contact", async () => {
    const { hh } = await coastal();
    const body = { body: "hi", channel: { type: "phone", identifier: ids.contacts.sydney.phoneNumber }, contactName: "Renamed" };
    expect(await codeOf(hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/messages", body: JSON.stringify(body) }))).toBe("ERR_LOC_NOT_OWNED");
    const { contactName: _, ...plain } = body;
    expect((await hh.router.call({ locationUid: BURLEIGH, method: "POST", path: "/v4/messages", body: JSON.stringify(plain) })).status).toBe(200);
  });
});

describe("ownership gate: writes that land where Podium picks", () => {
  // Found by the isolation property test: Podium sends a campaign's message from the campaign's first location
  // (an organization-wide campaign's from the contact's first), so Burleigh Heads sending the campaign it shares
  // with Sydney wrote a conversation, a message and an interaction at Sydney.
  it("sends a campaign's message only for the routed location's own campaign", async () => {
    const h = (current.h = await coastalOwners());
    const body = JSON.stringify({ channelIdentifier: c.contacts.burleighHeads.phoneNumber });
    for (const [uid, campaign] of [[BURLEIGH, c.campaigns.shared], [SYDNEY, c.campaigns.shared], [SYDNEY, c.campaigns.organization]] as const) {
      h.sandbox.clearLedger();
      expect(await codeOf(h.router.call({ locationUid: uid, method: "POST", path: `/v4/campaigns/${campaign}/messages`, body }, { organizations: [cs.slug] }))).toBe("ERR_LOC_NOT_OWNED");
      expect(h.sandbox.ledger().filter((e) => e.method !== "GET" && e.route !== "/oauth/token")).toEqual([]);
    }
    const own = await h.router.call({ locationUid: SYDNEY, method: "POST", path: `/v4/campaigns/${c.campaigns.sydney}/messages`, body });
    expect(own.status).toBe(200);
  });

  // Found by the isolation soak: Podium's upsert adds the write's email to the contact it matched by phone, so
  // the email now finds that contact; the owners cached for the email were the other contact's.
  it("looks a contact identifier up afresh after a write may have pointed it at another contact", async () => {
    const h = (current.h = await coastalOwners());
    const casey = c.contacts.shared.email.toUpperCase();
    expect((await h.router.call({ locationUid: BURLEIGH, method: "GET", path: `/v4/contacts/${casey}` })).status).toBe(200);
    const upsert = JSON.stringify({ name: "Amelia Sydney", phoneNumber: c.contacts.sydney.phoneNumber, email: c.contacts.shared.email });
    expect((await h.router.call({ locationUid: SYDNEY, method: "POST", path: "/v4/contacts", body: upsert })).status).toBe(202);
    h.sandbox.clearLedger();
    const rename = h.router.call({ locationUid: BURLEIGH, method: "PATCH", path: `/v4/contacts/${casey}`, body: JSON.stringify({ name: "Renamed" }) });
    expect(await codeOf(rename)).toBe("ERR_LOC_NOT_OWNED");
    expect(h.sandbox.ledger().filter((e) => e.method !== "GET" && e.route !== "/oauth/token")).toEqual([]);
  });

  // Found by the isolation soak with 8 calls in flight: a check, then another location's write attaching the
  // identifier to its own contact, then the first write applied by Podium to that contact.
  it("runs two upserting writes on one phone number one after the other, so the second sees the first's contact", async () => {
    const h = (current.h = await coastalOwners());
    // Slow answers: without the lock both lookups would see the phone number free before either create lands.
    h.sandbox.setFaults({ latencyMs: 40 });
    const phoneNumber = "+61400777001";
    const create = (uid: string, name: string) => h.router.call({ locationUid: uid, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name, phoneNumber }) });
    const outcomes = await Promise.all([codeOf(create(SYDNEY, "First")), codeOf(create(BURLEIGH, "Second"))]);
    expect([...outcomes].sort()).toEqual(["ERR_LOC_NOT_OWNED", "no error"]);
    h.sandbox.setFaults({ latencyMs: 0 });
    const creates = h.sandbox.ledger().filter((e) => e.method === "POST" && e.route === "/v4/contacts");
    expect(creates).toHaveLength(1);
    // The one contact with the number has exactly one owner: the location whose create went first.
    expect(creates[0]?.resources.map((r) => r.owners)).toEqual([creates[0]?.locationUids]);
  });

  // The same race across replicas: each replica's own locks cannot see the other's write.
  describe.skipIf(!redisUp)(`two replicas sharing Redis${absentNote("Redis", redisUp)}`, () => {
    async function race(state: Record<string, unknown>): Promise<string[]> {
      const h = (current.h = await createHarness({ settings: { state } }));
      const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
      await h.register(SYDNEY, owner, cs.slug, cs.organizationUid);
      await h.register(BURLEIGH, owner, cs.slug, cs.organizationUid);
      const one = await h.restart();
      const two = await h.replica();
      h.sandbox.setFaults({ latencyMs: 40 });
      const phoneNumber = "+61400777002";
      const create = (router: typeof one, uid: string) => codeOf(router.call({ locationUid: uid, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name: uid, phoneNumber }) }));
      const outcomes = await Promise.all([create(one, SYDNEY), create(two, BURLEIGH)]);
      h.sandbox.setFaults({ latencyMs: 0 });
      return outcomes.sort();
    }

    it("takes turns on a contact identifier through Redis: the second replica's create sees the first's contact", async () => {
      const keyPrefix = uniquePrefix();
      prefixes.push(keyPrefix);
      expect(await race({ backend: "redis", redis: { key_prefix: keyPrefix } })).toEqual(["ERR_LOC_NOT_OWNED", "no error"]);
    });

    it("(control) without shared state both creates pass their checks, and the second lands on the first's contact", async () => {
      expect(await race({ backend: "memory" })).toEqual(["no error", "no error"]);
    });
  });
});
