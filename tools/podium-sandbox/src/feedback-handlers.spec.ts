import { expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { S, c, cs } from "../test/ids.js";

const t = sharedSandbox();

it("lists the grant's feedback newest first and creates a survey (202 with its uid)", async () => {
  const before = await call(t.sandbox, "GET", "/v4/feedback", { token: t.owner });
  expect(before.body.data.map((f: { uid: string }) => f.uid)).toEqual([c.feedback.burleighHeads, c.feedback.sydney]);
  expect(before.body.data[1]).toMatchObject({ location: { uid: S, organizationUid: cs.organizationUid }, score: 9, currentStep: "final", channel: { type: "phone", identifier: c.contacts.sydney.phoneNumber } });
  const made = await call(t.sandbox, "POST", "/v4/feedback", { token: t.sydneyOnly, body: { customerName: "Q", locationUid: S, phoneNumber: "+61400103333" } });
  expect(made).toMatchObject({ status: 202, body: { data: { uid: expect.any(String) } } });
  expect(t.last()?.resources).toEqual([{ kind: "feedback", id: made.body.data.uid, access: "create", owners: [S], organizationUid: cs.organizationUid }]);
  const mine = await call(t.sandbox, "GET", "/v4/feedback", { token: t.sydneyOnly });
  expect(mine.body.data.map((f: { uid: string }) => f.uid)).toEqual([made.body.data.uid, c.feedback.sydney]);
  expect((await call(t.sandbox, "GET", "/v4/feedback?createdAt[lt]=2024-04-21T00:00:00Z", { token: t.owner })).body.data.map((f: { uid: string }) => f.uid)).toEqual([c.feedback.sydney]);
  expect(await call(t.sandbox, "POST", "/v4/feedback", { token: t.owner, body: { customerName: "Q", locationUid: S } })).toMatchObject({ status: 400 });
});
