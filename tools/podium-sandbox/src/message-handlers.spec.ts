import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { defaultResourceIds } from "./fixtures/default-resources.js";

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
const c = defaultResourceIds.coastalSmiles;
const S = cs.locations.sydney;
const B = cs.locations.burleighHeads;

const t = sharedSandbox();

const org = cs.organizationUid;

describe("sendMessage()", () => {
  const message = { body: "Your appointment is tomorrow", channel: { identifier: "+61400000009", type: "phone" }, locationUid: cs.locations.sydney };

  it("answers 200 with a message object for the token's location", async () => {
    const answer = await call(t.sandbox, "POST", "/v4/messages", { token: t.sydneyOnly, body: message });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      uid: expect.any(String),
      body: message.body,
      conversation: { uid: expect.any(String), channel: { type: "phone", identifier: "+61400000009" } },
      location: { uid: cs.locations.sydney, organizationUid: cs.organizationUid },
      items: [{ body: message.body, deliveryStatus: expect.any(String) }],
      failureReason: null,
    });
  });

  it("requires body, channel{identifier,type in phone|email} and locationUid", async () => {
    for (const bad of [
      { ...message, body: undefined },
      { ...message, channel: undefined },
      { ...message, channel: { identifier: "x", type: "fax" } },
      { ...message, channel: { type: "phone" } },
      { ...message, locationUid: undefined },
    ]) {
      expect(await call(t.sandbox, "POST", "/v4/messages", { token: t.owner, body: bad }), JSON.stringify(bad)).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    }
  });

  it("answers 403 unauthorized for a locationUid outside the grant, even in the same org", async () => {
    expect(await call(t.sandbox, "POST", "/v4/messages", { token: t.sydneyOnly, body: { ...message, locationUid: cs.locations.burleighHeads } })).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await call(t.sandbox, "POST", "/v4/messages", { token: t.owner, body: { ...message, locationUid: ha.locations.fremantle } })).toMatchObject({ status: 403 });
  });
});


describe("deliver()", () => {
  it("puts a send into the location's conversation with that channel and records the conversation and the message", async () => {
    const channel = { type: "phone", identifier: c.contacts.sydney.phoneNumber };
    const sent = await call(t.sandbox, "POST", "/v4/messages", { token: t.sydneyOnly, body: { body: "Reminder", channel, locationUid: S } });
    expect(sent.body.data).toMatchObject({ conversation: { uid: c.conversations.sydney }, location: { uid: S, organizationUid: org }, contactName: c.contacts.sydney.name, senderUid: cs.users.sydneyFrontDesk });
    expect(t.last()?.resources).toEqual([
      { kind: "conversation", id: c.conversations.sydney, access: "update", owners: [S], organizationUid: org },
      { kind: "message", id: sent.body.data.uid, access: "create", owners: [S], organizationUid: org },
    ]);
    const list = await call(t.sandbox, "GET", `/v4/conversations/${c.conversations.sydney}/messages?limit=100`, { token: t.sydneyOnly });
    expect(list.body.data.map((m: { uid: string }) => m.uid)).toEqual([c.messages.sydney, sent.body.data.uid]);
  });

  it("opens a new conversation per location: the same phone at Burleigh Heads is another conversation", async () => {
    const channel = { type: "phone", identifier: c.contacts.sydney.phoneNumber };
    const sent = await call(t.sandbox, "POST", "/v4/messages", { token: t.owner, body: { body: "Hello from Burleigh", channel, locationUid: B, setOpenInbox: true } });
    const convUid = sent.body.data.conversation.uid as string;
    expect(convUid).not.toBe(c.conversations.sydney);
    expect(t.last()?.resources[0]).toEqual({ kind: "conversation", id: convUid, access: "create", owners: [B], organizationUid: org });
    expect((await call(t.sandbox, "GET", `/v4/conversations/${convUid}`, { token: t.owner })).body.data).toMatchObject({ locationUid: B, closed: false, channel });
  });

  it("renames an existing contact of any location when a send carries contactName (recorded as that contact's update)", async () => {
    const target = c.contacts.burleighHeads;
    await call(t.sandbox, "POST", "/v4/messages", { token: t.sydneyOnly, body: { body: "Hi", channel: { type: "phone", identifier: target.phoneNumber }, locationUid: S, contactName: "Renamed From Sydney" } });
    expect(t.last()?.resources.map((r) => [r.kind, r.access, r.owners])).toEqual([
      ["conversation", "create", [S]],
      ["message", "create", [S]],
      ["contact", "update", [B]],
    ]);
    expect((await call(t.sandbox, "GET", `/v4/contacts/${target.email}`, { token: t.owner })).body.data.name).toBe("Renamed From Sydney");
  });
});

describe("sendAttachment()", () => {
  const form = (data: unknown, file = true): FormData => {
    const f = new FormData();
    if (data !== undefined) f.set("data", typeof data === "string" ? data : JSON.stringify(data));
    if (file) f.set("attachment", new Blob(["%PDF"], { type: "application/pdf" }), "invoice.pdf");
    return f;
  };
  const post = async (token: string, body: FormData) => {
    const res = await fetch(`${t.sandbox.url}/v4/messages/attachment`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: res.status, body: (await res.json()) as any };
  };
  const data = { body: "Your invoice", channel: { type: "email", identifier: c.contacts.shared.email }, locationUid: S };

  it("sends the data part's message with the attachment, into the data part's location", async () => {
    const answer = await post(t.sydneyOnly, form(data));
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({ body: "Your invoice", location: { uid: S }, attachmentUrl: expect.stringContaining("invoice.pdf"), items: [{ attachmentContentType: "application/pdf" }] });
    expect(t.last()?.locationUids).toEqual([S]);
  });

  it("checks the data part's locationUid against the grant, and refuses a missing or malformed data part", async () => {
    expect(await post(t.sydneyOnly, form({ ...data, locationUid: B }))).toMatchObject({ status: 403, body: { code: "unauthorized" } });
    expect(await post(t.owner, form(undefined))).toMatchObject({ status: 400, body: { code: "invalid_request_values" } });
    expect(await post(t.owner, form("{not json"))).toMatchObject({ status: 400, body: { code: "bad_request" } });
  });
});

describe("importMessage()", () => {
  it("imports a past message at its publishedAt into the location's conversation", async () => {
    const body = { body: "Booked", channel: { type: "phone", identifier: "+61400109001" }, contactName: "Walk In", direction: "inbound", locationUid: B, publishedAt: "2023-12-01T08:00:00Z" };
    const answer = await call(t.sandbox, "POST", "/v4/import/messages", { token: t.owner, body });
    expect(answer.body.data).toMatchObject({ createdAt: "2023-12-01T08:00:00.000Z", contactName: "Walk In", location: { uid: B }, items: [{ deliveryStatus: "delivered" }] });
    expect(await call(t.sandbox, "POST", "/v4/import/messages", { token: t.owner, body: { ...body, direction: "sideways" } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", "/v4/import/messages", { token: t.owner, body: { ...body, publishedAt: "yesterday" } })).toMatchObject({ status: 400 });
  });
});

describe("listMessages() / getMessage()", () => {
  it("reads a conversation's messages, each recorded with the conversation's location", async () => {
    const list = await call(t.sandbox, "GET", `/v4/conversations/${c.conversations.burleighHeads}/messages`, { token: t.owner });
    expect(list.body.data[0]).toMatchObject({ uid: c.messages.burleighHeads, location: { uid: B } });
    expect(t.last()?.resources).toEqual([{ kind: "message", id: c.messages.burleighHeads, access: "read", owners: [B], organizationUid: org }]);
    const one = await call(t.sandbox, "GET", `/v4/conversations/${c.conversations.burleighHeads}/messages/${c.messages.burleighHeads}`, { token: t.owner });
    expect(one.body.data.body).toBe("Is parking available?");
  });

  it("answers 404 for a message of another conversation", async () => {
    expect(await call(t.sandbox, "GET", `/v4/conversations/${c.conversations.sydney}/messages/${c.messages.burleighHeads}`, { token: t.owner })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
  });
});

it("keeps harbour-auto's conversations out of coastal-smiles' lists", async () => {
  const list = await call(t.sandbox, "GET", "/v4/conversations?limit=100", { token: t.owner });
  expect(list.body.data.every((x: { locationUid: string }) => x.locationUid !== ha.locations.fremantle)).toBe(true);
});
