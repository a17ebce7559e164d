import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, S, c, h, org } from "../test/ids.js";

const t = sharedSandbox();

describe("payments, readers and refunds", () => {
  it("reads a payment of an invoice, owned by the invoice's location", async () => {
    const got = await call(t.sandbox, "GET", `/v4/payments/${c.payments.burleighHeads}`, { token: t.owner });
    expect(got.body.data).toMatchObject({ uid: c.payments.burleighHeads, status: "paid", refunds: [] });
    expect(t.last()?.resources).toEqual([{ kind: "payment", id: c.payments.burleighHeads, access: "read", owners: [B], organizationUid: org }]);
  });

  it("reads a card reader naming its locationUid", async () => {
    const got = await call(t.sandbox, "GET", `/v4/readers/${c.readers.sydney}`, { token: t.owner });
    expect(got.body.data).toEqual({ uid: c.readers.sydney, label: "Sydney front desk", locationUid: S, status: "active", createdAt: expect.any(String), updatedAt: expect.any(String) });
  });

  it("creates an unlinked refund through a reader of the organization, and reads it back", async () => {
    const body = { amount: 900, channelIdentifier: c.contacts.sydney.phoneNumber, customerName: "Amelia", locationUid: S, readerUid: c.readers.sydney, reason: "other" };
    const made = await call(t.sandbox, "POST", "/v4/refunds", { token: t.owner, body });
    expect(made.body.data).toMatchObject({ amount: 900, status: "created", location: { uid: S }, reason: "other" });
    expect(t.last()?.resources).toEqual([{ kind: "refund", id: made.body.data.uid, access: "create", owners: [S], organizationUid: org }]);
    expect((await call(t.sandbox, "GET", `/v4/refunds/${made.body.data.uid}?locationUid=${S}`, { token: t.owner })).body.data.amount).toBe(900);
    expect(await call(t.sandbox, "POST", "/v4/refunds", { token: t.owner, body: { ...body, readerUid: h.readers.fremantle } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", "/v4/refunds", { token: t.owner, body: { ...body, amount: 0 } })).toMatchObject({ status: 400 });
  });
});
