import { expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { B, cs } from "../test/ids.js";

const t = sharedSandbox();

it("createAppointment() answers the appointment naming its location, and validates", async () => {
  const body = { contactName: "Pat", contactPhoneNumber: "+61400104444", datetime: "2024-08-01T10:00:00Z", locationUid: B, durationMin: 45, type: "virtual", assignedUserUid: cs.users.owner };
  const made = await call(t.sandbox, "POST", "/v4/appointments", { token: t.owner, body });
  expect(made.body.data).toMatchObject({ contactName: "Pat", location: { uid: B }, durationMin: 45, type: "virtual", status: "unconfirmed", assignedUser: { uid: cs.users.owner } });
  expect(t.last()?.resources).toEqual([{ kind: "appointment", id: made.body.data.uid, access: "create", owners: [B], organizationUid: cs.organizationUid }]);
  for (const bad of [{ ...body, contactPhoneNumber: "0400" }, { ...body, datetime: "soon" }, { ...body, status: "maybe" }, { ...body, assignedUserUid: "nobody" }]) {
    expect(await call(t.sandbox, "POST", "/v4/appointments", { token: t.owner, body: bad }), JSON.stringify(bad)).toMatchObject({ status: 400 });
  }
  expect(await call(t.sandbox, "POST", "/v4/appointments", { token: t.sydneyOnly, body })).toMatchObject({ status: 403 });
});
