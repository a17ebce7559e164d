import { expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { c, cs } from "../test/ids.js";

const t = sharedSandbox();

it("getCall() answers the call naming its locationUid and organizationUid", async () => {
  const got = await call(t.sandbox, "GET", `/v4/calls/${c.calls.sydney}`, { token: t.sydneyOnly });
  expect(got.body.data).toMatchObject({ uid: c.calls.sydney, locationUid: cs.locations.sydney, organizationUid: cs.organizationUid, customerPhoneNumber: c.contacts.sydney.phoneNumber, conversationUid: c.conversations.sydney, durationSeconds: 95, locationPhoneNumber: "+61290000010" });
  expect(t.last()?.resources).toEqual([{ kind: "call", id: c.calls.sydney, access: "read", owners: [cs.locations.sydney], organizationUid: cs.organizationUid }]);
});
