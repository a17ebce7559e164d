import { describe, expect, it } from "vitest";
import { isOrgSlug } from "../ids.js";
import { ALL_ORGANIZATIONS, mayActForOrganization } from "./organization-grant.js";

describe("mayActForOrganization()", () => {
  it("denies by default: no grant, an empty grant, or an empty slug", () => {
    expect(mayActForOrganization(undefined, "coastal-smiles")).toBe(false);
    expect(mayActForOrganization([], "coastal-smiles")).toBe(false);
    expect(mayActForOrganization([ALL_ORGANIZATIONS], "")).toBe(false);
  });

  it("allows exactly the listed org slugs", () => {
    const grant = ["coastal-smiles", "acme-dental"];
    expect(mayActForOrganization(grant, "coastal-smiles")).toBe(true);
    expect(mayActForOrganization(grant, "acme-dental")).toBe(true);
    expect(mayActForOrganization(grant, "coastal")).toBe(false);
    expect(mayActForOrganization(grant, "coastal-smiles-2")).toBe(false);
  });

  it("allows every organization for the \"*\" grant, which is never an org slug itself", () => {
    expect(mayActForOrganization([ALL_ORGANIZATIONS], "coastal-smiles")).toBe(true);
    expect(mayActForOrganization([ALL_ORGANIZATIONS], "acme-dental")).toBe(true);
    expect(isOrgSlug(ALL_ORGANIZATIONS)).toBe(false);
  });
});
