import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startSandbox, tokenFor } from "../test/harness.js";
import { haveSpecs, loadOperations } from "../test/openapi.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import { matchSandboxRoute, sandboxRoutes } from "./podium-routes.js";
import type { Sandbox } from "./sandbox.js";

describe("matchSandboxRoute()", () => {
  it("prefers literal segments over parameters", () => {
    expect(matchSandboxRoute("GET", "/v4/reviews/invites")?.route.template).toBe("/v4/reviews/invites");
    expect(matchSandboxRoute("GET", "/v4/reviews/abc")?.route.template).toBe("/v4/reviews/{uid}");
    expect(matchSandboxRoute("GET", "/v4/reviews/invites/abc")?.route.template).toBe("/v4/reviews/invites/{uid}");
    expect(matchSandboxRoute("GET", "/v4/reviews/abc/responses")?.route.template).toBe("/v4/reviews/{uid}/responses");
    expect(matchSandboxRoute("POST", "/v4/contacts/campaigns/opt_in")?.route.template).toBe("/v4/contacts/campaigns/opt_in");
  });

  it("decodes path parameters", () => {
    const m = matchSandboxRoute("GET", "/v4/contacts/%2B61400000000");
    expect(m?.params).toEqual({ identifier: "+61400000000" });
    expect(matchSandboxRoute("GET", "/v4/conversations/c1/messages/m1")?.params).toEqual({ conversation_uid: "c1", uid: "m1" });
  });

  it("matches HEAD as GET and tolerates one trailing slash", () => {
    expect(matchSandboxRoute("HEAD", "/v4/locations")?.route.method).toBe("GET");
    expect(matchSandboxRoute("GET", "/v4/locations/")?.route.template).toBe("/v4/locations");
  });

  it("returns undefined for unknown paths, wrong methods and empty parameters", () => {
    expect(matchSandboxRoute("GET", "/v4/review_invites")).toBeUndefined();
    expect(matchSandboxRoute("DELETE", "/v4/locations")).toBeUndefined();
    expect(matchSandboxRoute("GET", "/v4/locations//x")).toBeUndefined();
    expect(matchSandboxRoute("GET", "/v4/contacts/%E0%A4%A")).toBeUndefined();
  });

  it("holds the 86 operations of the appendix, each once", () => {
    expect(sandboxRoutes).toHaveLength(86);
    expect(new Set(sandboxRoutes.map((r) => `${r.method} ${r.template}`)).size).toBe(86);
  });
});

describe("sandboxRoutes", () => {
  it.skipIf(!haveSpecs)("matches every OpenAPI operation's template, success status, scope and location fields", () => {
    const ops = loadOperations();
    expect(ops).toHaveLength(86);
    for (const op of ops) {
      const route = sandboxRoutes.find((r) => r.method === op.method && r.template === op.path);
      expect(route, `${op.method} ${op.path}`).toBeDefined();
      if (route === undefined) continue;
      expect(route.status, `${op.method} ${op.path}`).toBe(op.status);
      const scope = route.eventScoped ? "The" : (route.scope ?? "none");
      expect(scope, `${op.method} ${op.path}`).toBe(op.scope);
      const fields = route.locationFields.map((f) => `${f.in}.${f.name}${f.required ? "!" : ""}`).sort();
      expect(fields, `${op.method} ${op.path}`).toEqual(op.locationFields);
    }
  });
});

describe("createSandbox() routing", () => {
  let sandbox: Sandbox;
  let token: string;
  beforeAll(async () => {
    sandbox = await startSandbox();
    token = await tokenFor(sandbox, defaultFixtureIds.coastalSmiles.ownerGrant.grantId);
  });
  afterAll(() => sandbox.close());

  it.skipIf(!haveSpecs)("routes every operation in Podium's OpenAPI files (none answers route_not_found)", async () => {
    const sydney = defaultFixtureIds.coastalSmiles.locations.sydney;
    for (const op of loadOperations()) {
      const path = op.path.replace("/v4/locations/{uid}", `/v4/locations/${sydney}`).replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-0000000000aa");
      const answer = await call(sandbox, op.method, path, { token, ...(op.method === "GET" || op.method === "DELETE" ? {} : { body: {} }) });
      expect(answer.body?.code, `${op.method} ${op.path} → ${answer.status}`).not.toBe("route_not_found");
      expect(answer.status, `${op.method} ${op.path}`).not.toBe(500);
    }
  });
});
