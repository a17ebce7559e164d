import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { matchRoute, podiumRoutes } from "./podium-routes.js";

// Podium's OpenAPI files live beside the repository (../shared from the repo root); never copied in.
const openapiDir = fileURLToPath(new URL("../../../../../shared/podium-openapi/", import.meta.url));
const haveOpenapi = existsSync(openapiDir);
const LOCATION_NAMES = new Set(["locationUid", "locationUids", "locations", "organizationUid"]);

interface SpecOp {
  key: string;
  scope: string | null;
  successStatus: number;
  query: string[];
  body: string[];
  required: string[];
}

// OpenAPI JSON is read loosely here; the assertions below check what matters.
type Json = Record<string, any>;

/** Reads every operation of the OpenAPI files the way the appendix of podium-api.md was generated. */
function readSpecOps(): SpecOp[] {
  const ops: SpecOp[] = [];
  for (const file of readdirSync(openapiDir).filter((f) => f.endsWith(".json")).sort()) {
    const doc = JSON.parse(readFileSync(`${openapiDir}${file}`, "utf8")) as Json;
    const deref = (o: Json | undefined): Json | undefined => {
      let cur = o;
      while (cur?.$ref) cur = (cur.$ref as string).slice(2).split("/").reduce((a: Json, k: string) => a[k], doc);
      return cur;
    };
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) {
        if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
        const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Json) => deref(p) as Json);
        const query = params.filter((p) => p.in === "query" && LOCATION_NAMES.has(p.name));
        const schema = deref(deref(op.requestBody)?.content?.["application/json"]?.schema);
        const bodyNames = Object.keys(schema?.properties ?? {}).filter((k) => LOCATION_NAMES.has(k));
        const scope = /Required scopes?:\s*`?([a-z_]+)`?\.?\s*(?:\n|$)/.exec(op.description ?? "")?.[1] ?? null;
        ops.push({
          key: `${method.toUpperCase()} ${path}`,
          scope,
          successStatus: Number(Object.keys(op.responses).find((s) => s !== "default")),
          query: query.map((p) => p.name as string).sort(),
          body: bodyNames.sort(),
          required: [
            ...query.filter((p) => p.required).map((p) => `query.${p.name}`),
            ...bodyNames.filter((k) => (schema?.required ?? []).includes(k)).map((k) => `body.${k}`),
          ],
        });
      }
    }
  }
  return ops;
}

describe("podiumRoutes", () => {
  it("lists 86 distinct operations", () => {
    expect(podiumRoutes).toHaveLength(86);
    expect(new Set(podiumRoutes.map((r) => `${r.method} ${r.template}`)).size).toBe(86);
  });

  it("fills locationUid for POST /v4/messages and /v4/reviews/invites, and locations for POST /v4/contacts", () => {
    const fillOf = (m: string, t: string) => podiumRoutes.find((r) => r.method === m && r.template === t)?.fill;
    expect(fillOf("POST", "/v4/messages")).toBe("body.locationUid");
    expect(fillOf("POST", "/v4/reviews/invites")).toBe("body.locationUid");
    expect(fillOf("POST", "/v4/contacts")).toBe("body.locations");
    // One of locationUid/organizationUid is required, but neither is in `required`: the caller chooses.
    expect(fillOf("POST", "/v4/webhooks")).toBeUndefined();
  });

  describe.skipIf(!haveOpenapi)(
    haveOpenapi ? "against Podium's OpenAPI files" : `against Podium's OpenAPI files (skipped: ${openapiDir} not found)`,
    () => {
      const specOps = haveOpenapi ? readSpecOps() : [];
      const ours = new Map(podiumRoutes.map((r) => [`${r.method} ${r.template}`, r]));

      it("has the same operations", () => {
        expect([...ours.keys()].sort()).toEqual(specOps.map((o) => o.key).sort());
      });

      it.each(specOps.map((o) => [o.key, o] as const))("%s: same scope, success status, location fields and required ones", (key, op) => {
        const r = ours.get(key);
        expect(r).toBeDefined();
        expect(r?.scope).toBe(op.scope);
        expect(r?.successStatus).toBe(op.successStatus);
        expect([...(r?.locationFields.query ?? [])].sort()).toEqual(op.query);
        expect([...(r?.locationFields.body ?? [])].sort()).toEqual(op.body);
        expect(r?.fill === undefined ? [] : [r.fill]).toEqual(op.required);
      });
    },
  );
});

describe("matchRoute()", () => {
  it("matches every template, filled with sample parameters, to its own route", () => {
    for (const route of podiumRoutes) {
      const path = route.template.replace(/\{([a-z_]+)\}/g, "x-$1");
      const m = matchRoute(route.method, path);
      expect(m?.route, `${route.method} ${path}`).toBe(route);
    }
  });

  it("prefers literal segments over parameters", () => {
    expect(matchRoute("GET", "/v4/reviews/invites")?.route.template).toBe("/v4/reviews/invites");
    expect(matchRoute("GET", "/v4/reviews/abc")?.route.template).toBe("/v4/reviews/{uid}");
    expect(matchRoute("GET", "/v4/reviews/summary")?.route.template).toBe("/v4/reviews/summary");
    expect(matchRoute("GET", "/v4/reviews/invites/i-1")?.route.template).toBe("/v4/reviews/invites/{uid}");
    expect(matchRoute("GET", "/v4/reviews/r-1/responses")?.route.template).toBe("/v4/reviews/{uid}/responses");
    expect(matchRoute("POST", "/v4/contacts/campaigns/opt_in")?.route.template).toBe("/v4/contacts/campaigns/opt_in");
  });

  it("returns the raw path parameters by name", () => {
    expect(matchRoute("PATCH", "/v4/reviews/r-1/responses/p-2")?.params).toEqual({ review_uid: "r-1", uid: "p-2" });
    expect(matchRoute("GET", "/v4/contacts/%2B15555550100")?.params).toEqual({ identifier: "%2B15555550100" });
  });

  it("matches HEAD against GET routes", () => {
    expect(matchRoute("HEAD", "/v4/locations/l-1")?.route.template).toBe("/v4/locations/{uid}");
  });

  it.each([
    ["GET", "/v4/nothing-here"],
    ["POST", "/v4/locations"],
    ["OPTIONS", "/v4/locations"],
    ["get", "/v4/locations"],
    ["GET", "/v4/locations/"],
    ["GET", "/v4/locations//x"],
    ["GET", "v4/locations"],
    ["GET", "/v4/contacts/a/b/c/d/e/f"],
  ])("returns undefined for %s %s", (method, path) => {
    expect(matchRoute(method, path)).toBeUndefined();
  });
});
