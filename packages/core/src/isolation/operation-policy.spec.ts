import { describe, expect, it } from "vitest";
import { policyOf, policyRows } from "./operation-policy.js";
import { matchRoute, podiumRoutes } from "./podium-routes.js";

// The route table itself is kept equal to ../shared/podium-openapi by podium-routes.spec.ts; this spec keeps the
// policy table equal to the route table, so every operation of Podium's OpenAPI files has exactly one class.
describe("the isolation policy table", () => {
  it("has exactly one policy for each of the 86 operations, and none for anything else", () => {
    expect(podiumRoutes).toHaveLength(86);
    const keys = podiumRoutes.map((r) => `${r.method} ${r.template}`);
    expect(policyRows().map(([k]) => k).sort()).toEqual([...keys].sort());
    for (const route of podiumRoutes) expect(policyOf(route), `${route.method} ${route.template}`).toBeDefined();
  });

  it("counts 15 location-named, 39 owned, 12 list and 20 organization-level operations (the README's table)", () => {
    const counts: Record<string, number> = {};
    for (const [, p] of policyRows()) counts[p.class] = (counts[p.class] ?? 0) + 1;
    expect(counts).toEqual({ location: 15, owned: 39, list: 12, organization: 20 });
  });

  it("resolves every owned resource through a GET of the table whose parameter the route has", () => {
    for (const [key, p] of policyRows()) {
      if (p.class !== "owned") continue;
      const owner = p.owner;
      expect(owner, key).toBeDefined();
      const template = key.slice(key.indexOf(" ") + 1);
      expect(template, key).toContain(`{${owner?.param}}`);
      const lookup = matchRoute("GET", (owner?.get ?? "").replace("{id}", "x-1"));
      expect(lookup?.route.method, key).toBe("GET");
      // The lookup is itself an owned read of the same kind: its answer names the owner.
      expect(policyOf(lookup!.route)?.class, key).toBe("owned");
      expect(policyOf(lookup!.route)?.owner?.kind, key).toBe(owner?.kind);
    }
  });

  it("sends the routed location as the filter only where Podium's list takes one", () => {
    for (const [key, p] of policyRows()) {
      if (p.filter === undefined) continue;
      expect(p.class, key).toBe("list");
      const route = podiumRoutes.find((r) => `${r.method} ${r.template}` === key);
      expect(route?.locationFields.query, key).toContain(p.filter);
    }
  });

  it("makes a create organization-level by its body: a campaign without locations, an organization template or webhook", () => {
    const byKey = new Map(policyRows());
    expect(byKey.get("POST /v4/campaigns")?.organizationWhen?.({ locations: [] })).toBe(true);
    expect(byKey.get("POST /v4/campaigns")?.organizationWhen?.({ locations: ["l-1"] })).toBe(false);
    expect(byKey.get("POST /v4/campaigns")?.organizationWhen?.(undefined)).toBe(false);
    expect(byKey.get("POST /v4/templates")?.organizationWhen?.({ accessLevel: "organization" })).toBe(true);
    expect(byKey.get("POST /v4/templates")?.organizationWhen?.({ accessLevel: "location" })).toBe(false);
    expect(byKey.get("POST /v4/webhooks")?.organizationWhen?.({ organizationUid: "o-1" })).toBe(true);
    expect(byKey.get("POST /v4/webhooks")?.organizationWhen?.({ locationUid: "l-1", organizationUid: null })).toBe(false);
  });
});
