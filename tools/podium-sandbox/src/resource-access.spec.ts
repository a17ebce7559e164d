import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, callCase, startSandbox, tokenFor } from "../test/harness.js";
import { operationCases } from "../test/operation-table.js";
import { defaultFixtureIds } from "./fixtures/default-fixture-ids.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";
import { matchSandboxRoute } from "./podium-routes.js";
import type { ResourceChange } from "./resource-access.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const c = defaultResourceIds.coastalSmiles;
const S = cs.locations.sydney;
const B = cs.locations.burleighHeads;
const UNKNOWN = "00000000-0000-4000-8000-00000000dead";

/** The case's path with every path parameter replaced by an id nobody has. */
function unknownPath(op: string, path: string): string {
  const [pathname, query] = path.split("?") as [string, string | undefined];
  const match = matchSandboxRoute(op.slice(0, op.indexOf(" ")), pathname);
  const template = match?.route.template.split("/") ?? [];
  const parts = pathname.split("/").map((seg, i) => (template[i]?.startsWith("{") ? UNKNOWN : seg));
  return parts.join("/") + (query === undefined ? "" : `?${query}`);
}

const byId = operationCases.filter((x) => x.foreign !== undefined);

describe("resources addressed by id", () => {
  let sandbox: Sandbox;
  let owner: string;
  beforeAll(async () => {
    sandbox = await startSandbox();
    owner = await tokenFor(sandbox, cs.ownerGrant.grantId);
  });
  afterAll(() => sandbox.close());

  it("covers every operation with an id in its path except locations and organizations", () => {
    const withId = operationCases.filter((x) => /\{/.test(x.op) && !x.op.includes("/v4/locations/") && !x.op.includes("/v4/organizations/"));
    expect(byId.map((x) => x.op)).toEqual(withId.map((x) => x.op));
    expect(byId).toHaveLength(50);
  });

  it("answers 404 resource_not_found in Podium's envelope for an unknown id, recording no resource", async () => {
    for (const x of byId) {
      const path = unknownPath(x.op, x.path);
      const answer = await callCase(sandbox, owner, x, path);
      expect(answer, `${x.op} ${path}`).toMatchObject({ status: 404, body: { code: "resource_not_found", message: expect.any(String), moreInfo: "https://docs.podium.com/docs/errors#resource_not_found" } });
      expect(sandbox.ledger().at(-1)?.resources, x.op).toEqual([]);
    }
  });

  it("answers 404 for another organization's id (it is invisible), and changes nothing there", async () => {
    const harbour = await tokenFor(sandbox, defaultFixtureIds.harbourAuto.ownerGrant.grantId);
    const lists = ["contacts", "conversations", "reviews", "reviews/invites", "invoices", "campaigns", "campaign_interactions", "templates", "webhooks", "products", "feedback", "contact_tags", "contact_attributes"];
    const harbourView = () => Promise.all(lists.map(async (l) => (await call(sandbox, "GET", `/v4/${l}?limit=100`, { token: harbour })).body.data));
    const before = await harbourView();
    expect(before.every((items) => items.length > 0)).toBe(true);
    for (const x of byId) {
      const answer = await callCase(sandbox, owner, x, x.foreign);
      expect(answer, `${x.op} ${x.foreign}`).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
      expect(sandbox.ledger().at(-1)?.resources, x.op).toEqual([]);
    }
    expect(await harbourView()).toEqual(before);
  });
});

describe("faults.foreignResourceIds", () => {
  let sandbox: Sandbox;
  let sydneyOnly: string;
  beforeAll(async () => {
    sandbox = await startSandbox();
    sydneyOnly = await tokenFor(sandbox, cs.sydneyGrant.grantId);
  });
  afterAll(() => sandbox.close());

  // Burleigh Heads' resources, addressed by a token whose grant is Sydney only.
  const burleighReads = [
    `/v4/contacts/${c.contacts.burleighHeads.email}`,
    `/v4/conversations/${c.conversations.burleighHeads}`,
    `/v4/conversations/${c.conversations.burleighHeads}/messages/${c.messages.burleighHeads}`,
    `/v4/reviews/${c.reviews.burleighHeads}`,
    `/v4/reviews/invites/${c.reviewInvites.burleighHeads}`,
    `/v4/invoices/${c.invoices.burleighHeadsPaid}?locationUid=${S}`,
    `/v4/payments/${c.payments.burleighHeads}`,
    `/v4/refunds/${c.refunds.burleighHeads}?locationUid=${S}`,
    `/v4/readers/${c.readers.burleighHeads}`,
    `/v4/calls/${c.calls.burleighHeads}`,
  ];
  // Organization-level, or shared with Sydney: reachable either way.
  const reachable = [`/v4/contact_tags/${c.contactTags.vip}`, `/v4/products/${c.products.whitening}`, `/v4/campaigns/${c.campaigns.organization}`, `/v4/campaigns/${c.campaigns.shared}`, `/v4/reviews/${c.reviews.shared}`, `/v4/webhooks/${c.webhooks.organization}`];

  it("defaults to allowed: a same-organization id is found whatever its owner (the worst case)", async () => {
    expect(sandbox.faults().foreignResourceIds).toBe("allowed");
    for (const path of burleighReads) {
      const answer = await call(sandbox, "GET", path, { token: sydneyOnly });
      expect(answer.status, path).toBe(200);
      expect(sandbox.ledger().at(-1)?.resources, path).toMatchObject([{ access: "read", owners: [B] }]);
    }
    const renamed = await call(sandbox, "PATCH", `/v4/contacts/${c.contacts.burleighHeads.email}`, { token: sydneyOnly, body: { name: "Renamed by Sydney" } });
    expect(renamed.status).toBe(202);
  });

  it("rejected: 404 unless one of the resource's owners is in the token's grant; organization-level ones stay found", async () => {
    sandbox.setFaults({ foreignResourceIds: "rejected" });
    try {
      for (const path of burleighReads) expect(await call(sandbox, "GET", path, { token: sydneyOnly }), path).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
      for (const path of reachable) expect((await call(sandbox, "GET", path, { token: sydneyOnly })).status, path).toBe(200);
      const refused = await call(sandbox, "PUT", `/v4/templates/${c.templates.burleighHeads}`, { token: sydneyOnly, body: { accessLevel: "location", locationUids: [S], text: "t", title: "t", type: "custom" } });
      expect(refused.status).toBe(404);
    } finally {
      sandbox.resetFaults();
    }
  });

  it("is settable over HTTP and refuses other values", async () => {
    expect((await call(sandbox, "PUT", "/_sandbox/faults", { body: { foreignResourceIds: "rejected" } })).body.foreignResourceIds).toBe("rejected");
    expect((await call(sandbox, "GET", `/v4/calls/${c.calls.burleighHeads}`, { token: sydneyOnly })).status).toBe(404);
    expect(await call(sandbox, "PUT", "/_sandbox/faults", { body: { foreignResourceIds: "maybe" } })).toMatchObject({ status: 400, body: { error: "faults.foreignResourceIds must be allowed or rejected" } });
    await call(sandbox, "DELETE", "/_sandbox/faults");
    expect((await call(sandbox, "GET", `/v4/calls/${c.calls.burleighHeads}`, { token: sydneyOnly })).status).toBe(200);
  });
});

describe("onResourceChange()", () => {
  it("reports each write once with its owners and Podium's JSON, until unsubscribed; a throwing listener is ignored", async () => {
    const sandbox = await startSandbox();
    try {
      const token = await tokenFor(sandbox, cs.ownerGrant.grantId);
      const seen: ResourceChange[] = [];
      const stop = sandbox.onResourceChange((change) => seen.push(change));
      const stopBad = sandbox.onResourceChange(() => {
        throw new Error("listener bug");
      });
      await call(sandbox, "GET", `/v4/reviews/${c.reviews.sydney}`, { token });
      expect(seen).toEqual([]);
      const answer = await call(sandbox, "PUT", `/v4/campaigns/${c.campaigns.sydney}`, { token, body: { name: "Moved", status: "ACTIVE", locations: [B] } });
      expect(answer.status).toBe(200);
      expect(seen).toEqual([
        {
          kind: "campaign",
          action: "updated",
          id: c.campaigns.sydney,
          organizationUid: cs.organizationUid,
          owners: [S],
          ownersAfter: [B],
          data: answer.body.data,
          operation: "PUT /v4/campaigns/{uid}",
          grantId: cs.ownerGrant.grantId,
          at: expect.stringMatching(/^\d{4}-/),
        },
      ]);
      await call(sandbox, "DELETE", `/v4/contacts/${c.contacts.newcastle.email}`, { token });
      expect(seen.at(-1)).toMatchObject({ kind: "contact", action: "deleted", owners: [cs.locations.newcastle], ownersAfter: [], data: { name: c.contacts.newcastle.name } });
      stop();
      stopBad();
      await call(sandbox, "POST", "/v4/contact_tags", { token, body: { label: "x", description: "y" } });
      expect(seen).toHaveLength(2);
    } finally {
      await sandbox.close();
    }
  });
});

describe("deletedLocations", () => {
  it("hides a resource whose every owner is a deleted location, by id and from lists; a shared one stays", async () => {
    const sandbox = await startSandbox({ faults: { deletedLocations: [B] } });
    try {
      const owner = await tokenFor(sandbox, cs.ownerGrant.grantId);
      expect(await call(sandbox, "GET", `/v4/reviews/${c.reviews.burleighHeads}`, { token: owner })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
      expect((await call(sandbox, "GET", `/v4/reviews/${c.reviews.shared}`, { token: owner })).status).toBe(200);
      const uids = (await call(sandbox, "GET", "/v4/reviews", { token: owner })).body.data.map((r: { uid: string }) => r.uid);
      expect(uids).not.toContain(c.reviews.burleighHeads);
      expect(uids).toContain(c.reviews.shared);
    } finally {
      await sandbox.close();
    }
  });
});
