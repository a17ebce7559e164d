import { expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { cs, ha } from "../test/ids.js";

const t = sharedSandbox();

it("lists and reads users with the locations of their grants; never another organization's", async () => {
  const list = await call(t.sandbox, "GET", "/v4/users", { token: t.sydneyOnly });
  expect(list.body.data).toMatchObject([
    { uid: cs.users.owner, email: "owner@coastal-smiles.example", locations: Object.values(cs.locations).map((uid) => ({ uid })) },
    { uid: cs.users.sydneyFrontDesk, locations: [{ uid: cs.locations.sydney }] },
  ]);
  expect(t.last()?.resources.map((r) => [r.kind, r.id, r.owners.length])).toEqual([["user", cs.users.owner, 4], ["user", cs.users.sydneyFrontDesk, 1]]);
  expect((await call(t.sandbox, "GET", "/v4/users?search=desk", { token: t.owner })).body.data.map((u: { uid: string }) => u.uid)).toEqual([cs.users.sydneyFrontDesk]);
  expect(await call(t.sandbox, "GET", "/v4/users?searchFields[]=shoeSize", { token: t.owner })).toMatchObject({ status: 400 });
  expect((await call(t.sandbox, "GET", `/v4/users/${cs.users.sydneyFrontDesk}`, { token: t.owner })).body.data.lastName).toBe("Desk");
  expect(await call(t.sandbox, "GET", `/v4/users/${ha.users.owner}`, { token: t.owner })).toMatchObject({ status: 404, body: { code: "resource_not_found" } });
  expect((await call(t.sandbox, "GET", "/v4/users", { token: t.harbour })).body.data.map((u: { uid: string }) => u.uid)).toEqual([ha.users.owner]);
});
