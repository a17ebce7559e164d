import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { S, c, cs, ha, org } from "../test/ids.js";

const t = sharedSandbox();
const conv = c.conversations.sydney;

describe("conversations", () => {
  it("lists and reads conversations, each naming its location", async () => {
    const list = await call(t.sandbox, "GET", `/v4/conversations?locationUid=${S}`, { token: t.owner });
    expect(list.body.data[0]).toEqual({ uid: conv, assignedUserUid: null, assigneeUids: [], channel: { type: "phone", identifier: c.contacts.sydney.phoneNumber }, closed: false, contactName: c.contacts.sydney.name, createdAt: "2024-03-01T09:00:00Z", lastItemAt: "2024-03-01T09:00:00Z", locationUid: S, updatedAt: "2024-03-01T09:00:00Z" });
    expect((await call(t.sandbox, "GET", `/v4/conversations/${conv}`, { token: t.owner })).body.data.uid).toBe(conv);
  });

  it("PUT closes and assigns to users of the organization; an unknown user is 400", async () => {
    const put = await call(t.sandbox, "PUT", `/v4/conversations/${conv}`, { token: t.owner, body: { closed: true, assignedUserUid: cs.users.owner, conversationAssigneeUids: [cs.users.owner, cs.users.sydneyFrontDesk] } });
    expect(put.body.data).toMatchObject({ closed: true, assignedUserUid: cs.users.owner, assigneeUids: [cs.users.owner, cs.users.sydneyFrontDesk] });
    expect(t.last()?.resources).toEqual([{ kind: "conversation", id: conv, access: "update", owners: [S], organizationUid: org }]);
    expect(await call(t.sandbox, "PUT", `/v4/conversations/${conv}`, { token: t.owner, body: { assignedUserUid: ha.users.owner } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "PUT", `/v4/conversations/${conv}`, { token: t.owner, body: { closed: "yes" } })).toMatchObject({ status: 400 });
  });

  it("reads and replaces the assignees (PUT answers a one-item array)", async () => {
    const put = await call(t.sandbox, "PUT", `/v4/conversations/${conv}/assignees`, { token: t.owner, body: { assigneeUids: [cs.users.sydneyFrontDesk] } });
    expect(put.body.data).toEqual([{ assignedUserUid: cs.users.sydneyFrontDesk, assigneeType: "user", assigneeUid: cs.users.sydneyFrontDesk, assignees: [{ uid: cs.users.sydneyFrontDesk }] }]);
    expect((await call(t.sandbox, "GET", `/v4/conversations/${conv}/assignees`, { token: t.owner })).body.data.assignees).toEqual([{ uid: cs.users.sydneyFrontDesk }]);
    expect(t.last()?.resources).toEqual([{ kind: "conversation", id: conv, access: "read", owners: [S], organizationUid: org }]);
  });

  it("a lead writeback reads the conversation (it leaves for the CRM)", async () => {
    expect((await call(t.sandbox, "POST", `/v4/conversations/${conv}/lead_writeback`, { token: t.owner })).body.data).toEqual({ conversation: { uid: conv } });
    expect(t.last()?.resources).toEqual([{ kind: "conversation", id: conv, access: "read", owners: [S], organizationUid: org }]);
  });

  it("a note belongs to the conversation's location", async () => {
    const note = await call(t.sandbox, "POST", `/v4/conversations/${c.conversations.burleighHeads}/notes`, { token: t.sydneyOnly, body: { body: "Called", senderName: "Sam" } });
    expect(note.body.data).toMatchObject({ body: "Called", senderName: "Sam", conversation: { uid: c.conversations.burleighHeads }, location: { uid: cs.locations.burleighHeads }, organization: { uid: org } });
    expect(t.last()?.resources).toEqual([{ kind: "conversation_note", id: note.body.data.uid, access: "create", owners: [cs.locations.burleighHeads], organizationUid: org }]);
    expect(await call(t.sandbox, "POST", `/v4/conversations/${conv}/notes`, { token: t.owner, body: { body: "x" } })).toMatchObject({ status: 400 });
  });
});
