/** Products: organization-level (Podium's product object names no location). */
import { randomUUID } from "node:crypto";
import type { Reply } from "./http-io.js";
import { PodiumHttpError } from "./podium-error.js";
import { bodyObject, invalid, onlyFields, str, strings } from "./request-body.js";
import { findResource, readReply, recordWrite } from "./resource-access.js";
import { LOCATION_FILTERS, listReply } from "./resource-list.js";
import type { StoredResource } from "./resource-store.js";
import { isoNow, singleMetadata, type SandboxState } from "./sandbox-state.js";
import { dataReply, type V4Request } from "./v4-request.js";

/** A product image. */
export interface ProductImage {
  uid: string;
  url: string;
  isPrimary: boolean;
}

/** A product; `owners` is always [] (organization-level). */
export interface ProductRecord extends StoredResource {
  name: string;
  description: string | null;
  price: string;
  xid: string | null;
  images: ProductImage[];
}

const UPLOAD_FIELDS = new Set(["images", "locationUid"]);

/** Podium's product object. */
export function productJson(p: ProductRecord): Record<string, unknown> {
  return {
    uid: p.uid,
    archivedAt: null,
    description: p.description,
    images: p.images.map((i) => imageJson(p, i)),
    insertedAt: p.createdAt,
    name: p.name,
    price: p.price,
    updatedAt: p.updatedAt,
    xid: p.xid,
  };
}

function imageJson(p: ProductRecord, i: ProductImage): Record<string, unknown> {
  return { isPrimary: i.isPrimary, productUid: p.uid, uid: i.uid, url: i.url };
}

/** An image record for a product. */
export function newProductImage(productUid: string, isPrimary: boolean, uid: string = randomUUID()): ProductImage {
  return { uid, url: `https://images.podium.invalid/products/${productUid}/${uid}`, isPrimary };
}

const find = (state: SandboxState, req: V4Request): ProductRecord => findResource(state, req.grant, state.resources.products, req.params["uid"], "Product");
const recordUpdate = (state: SandboxState, req: V4Request, p: ProductRecord): void => recordWrite(state, req, "product", p, "update", () => productJson(p));

/** GET /v4/products: the organization's products; `xid`; `locationUid` is accepted (products name no location). */
export function listProducts(state: SandboxState, req: V4Request): Reply {
  const org = req.grant.organizationUid;
  return listReply(state, req, {
    cursor: "products",
    filters: [...LOCATION_FILTERS, "xid"],
    kind: "product",
    items: (filters) => state.resources.products.all(org).filter((p) => filters["xid"] === undefined || p.xid === filters["xid"]),
    toJson: productJson,
  });
}

/** GET /v4/products/{uid}. */
export function getProduct(state: SandboxState, req: V4Request): Reply {
  return readReply(state, req, state.resources.products, "product", "Product", productJson);
}

/** POST /v4/products/{uid}/upload_images: `images: [{ data, isPrimary? }]`; 202 with the product uid. */
export function uploadProductImages(state: SandboxState, req: V4Request): Reply {
  const b = bodyObject(req.body);
  onlyFields(b, UPLOAD_FIELDS);
  const images = b["images"];
  if (!Array.isArray(images) || images.length === 0) invalid("images must be a non-empty array");
  const read = (images as unknown[]).map((raw) => {
    const image = bodyObject(raw);
    str(image, "data", true);
    const primary = image["isPrimary"];
    if (primary !== undefined && primary !== null && typeof primary !== "boolean") invalid("images[].isPrimary must be a boolean");
    return primary === true;
  });
  const p = find(state, req);
  for (const isPrimary of read) {
    if (isPrimary) for (const i of p.images) i.isPrimary = false;
    p.images.push(newProductImage(p.uid, isPrimary));
  }
  p.updatedAt = isoNow(state);
  recordUpdate(state, req, p);
  return { status: 202, body: { data: { identifier: p.uid }, metadata: singleMetadata(state, req.path) } };
}

/** DELETE /v4/products/{uid}/delete_images: `uids` of images to remove; answers the images left. */
export function deleteProductImages(state: SandboxState, req: V4Request): Reply {
  const uids = new Set(strings(bodyObject(req.body), "uids", true, false));
  const p = find(state, req);
  const left = p.images.filter((i) => !uids.has(i.uid));
  if (left.length === p.images.length) throw new PodiumHttpError("resource_not_found", "None of the images belongs to the product");
  p.images = left;
  p.updatedAt = isoNow(state);
  recordUpdate(state, req, p);
  return dataReply(state, req, left.map((i) => imageJson(p, i)));
}
