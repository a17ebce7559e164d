import { describe, expect, it } from "vitest";
import { call, sharedSandbox } from "../test/harness.js";
import { S, c, org } from "../test/ids.js";

const t = sharedSandbox();

describe("products (organization-level)", () => {
  it("lists and reads the organization's products; `xid` filters, `locationUid` selects nothing away", async () => {
    const list = await call(t.sandbox, "GET", `/v4/products?locationUid=${S}`, { token: t.sydneyOnly });
    expect(list.body.data.map((p: { uid: string }) => p.uid)).toEqual([c.products.whitening, c.products.checkup]);
    expect(t.last()?.resources.map((r) => r.owners)).toEqual([[], []]);
    expect((await call(t.sandbox, "GET", "/v4/products?xid=CS-CHECK", { token: t.owner })).body.data.map((p: { name: string }) => p.name)).toEqual(["Check-up and clean"]);
    const one = await call(t.sandbox, "GET", `/v4/products/${c.products.whitening}`, { token: t.owner });
    expect(one.body.data).toMatchObject({ name: "Teeth whitening", price: "450.00", images: [{ uid: c.productImages.whitening, isPrimary: true, productUid: c.products.whitening }, { isPrimary: false }] });
  });

  it("uploads images (202 with the product uid; a new primary demotes the old) and deletes them", async () => {
    const up = await call(t.sandbox, "POST", `/v4/products/${c.products.whitening}/upload_images`, { token: t.owner, body: { images: [{ data: "aGk=", isPrimary: true }], locationUid: S } });
    expect(up).toMatchObject({ status: 202, body: { data: { identifier: c.products.whitening } } });
    expect(t.last()?.resources).toEqual([{ kind: "product", id: c.products.whitening, access: "update", owners: [], organizationUid: org }]);
    const images = (await call(t.sandbox, "GET", `/v4/products/${c.products.whitening}`, { token: t.owner })).body.data.images;
    expect(images.map((i: { isPrimary: boolean }) => i.isPrimary)).toEqual([false, false, true]);
    const left = await call(t.sandbox, "DELETE", `/v4/products/${c.products.whitening}/delete_images`, { token: t.owner, body: { uids: [c.productImages.whitening], locationUid: S } });
    expect(left.body.data).toHaveLength(2);
    expect(await call(t.sandbox, "DELETE", `/v4/products/${c.products.whitening}/delete_images`, { token: t.owner, body: { uids: ["nope"], locationUid: S } })).toMatchObject({ status: 404 });
    expect(await call(t.sandbox, "POST", `/v4/products/${c.products.whitening}/upload_images`, { token: t.owner, body: { images: [], locationUid: S } })).toMatchObject({ status: 400 });
    expect(await call(t.sandbox, "POST", `/v4/products/${c.products.whitening}/upload_images`, { token: t.owner, body: { images: [{ data: "x" }], locationUid: S, extra: 1 } })).toMatchObject({ status: 400 });
  });
});
