import { defaultFixtureIds, defaultResourceIds } from "@podium-router/podium-sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { isCoreError } from "@podium-router/errors";
import { createHarness, fixtureGrant, type Harness } from "../testing/router-harness.js";

const cs = defaultFixtureIds.coastalSmiles;
const c = defaultResourceIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isCoreError(err)) return err.code;
    throw err;
  }
  return "no error";
}

describe("ownership gate: writes that land where Podium picks", () => {
  // Found by the isolation property test: Podium sends a campaign's message from the campaign's first location
  // (an organization-wide campaign's from the contact's first), so Burleigh Heads sending the campaign it shares
  // with Sydney wrote a conversation, a message and an interaction at Sydney.
  it("sends a campaign's message only for the routed location's own campaign", async () => {
    h = await createHarness();
    const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
    await h.register(SYDNEY, owner, cs.slug, cs.organizationUid);
    await h.register(BURLEIGH, owner, cs.slug, cs.organizationUid);
    await h.restart();
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
    h = await createHarness();
    const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
    await h.register(SYDNEY, owner, cs.slug, cs.organizationUid);
    await h.register(BURLEIGH, owner, cs.slug, cs.organizationUid);
    await h.restart();
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
    h = await createHarness();
    const owner = fixtureGrant(h.sandbox, cs.ownerGrant.grantId);
    await h.register(SYDNEY, owner, cs.slug, cs.organizationUid);
    await h.register(BURLEIGH, owner, cs.slug, cs.organizationUid);
    await h.restart();
    // Slow answers: without the lock both lookups would see the phone number free before either create lands.
    h.sandbox.setFaults({ latencyMs: 40 });
    const phoneNumber = "+61400777001";
    const create = (uid: string, name: string) => h!.router.call({ locationUid: uid, method: "POST", path: "/v4/contacts", body: JSON.stringify({ name, phoneNumber }) });
    const outcomes = await Promise.all([codeOf(create(SYDNEY, "First")), codeOf(create(BURLEIGH, "Second"))]);
    expect([...outcomes].sort()).toEqual(["ERR_LOC_NOT_OWNED", "no error"]);
    h.sandbox.setFaults({ latencyMs: 0 });
    const creates = h.sandbox.ledger().filter((e) => e.method === "POST" && e.route === "/v4/contacts");
    expect(creates).toHaveLength(1);
    // The one contact with the number has exactly one owner: the location whose create went first.
    expect(creates[0]?.resources.map((r) => r.owners)).toEqual([creates[0]?.locationUids]);
  });
});
