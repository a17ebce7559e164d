import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { callCase, startSandbox } from "../test/harness.js";
import { haveSpecs, loadOperations } from "../test/openapi.js";
import { operationCases } from "../test/operation-table.js";
import { defaultFixtureIds } from "./fixtures/default-fixture-ids.js";
import { sandboxRoutes } from "./podium-routes.js";
import type { Sandbox } from "./sandbox.js";
import { v4Handlers } from "./v4-handlers.js";

const ownerGrant = defaultFixtureIds.coastalSmiles.ownerGrant.grantId;
const ops = sandboxRoutes.map((r) => `${r.method} ${r.template}`);

// The second appendix of podium-api.md: where each 2xx response names its location. Read beside the repo.
const apiDoc = fileURLToPath(new URL("../../../../shared/podium-api.md", import.meta.url));
const haveDoc = existsSync(apiDoc);
if (!haveDoc) console.warn(`skipping the response-location test: ${apiDoc} is absent`);

/** `METHOD path` → the response fields that name a location, e.g. ["data[].locations"]; [] for a dash. */
function appendixFields(): Map<string, string[]> {
  const text = readFileSync(apiDoc, "utf8");
  const section = text.slice(text.indexOf("## Appendix: where each response names its location"));
  const out = new Map<string, string[]>();
  for (const m of section.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| (.+) \|$/gm)) {
    const fields = m[3] === "—" ? [] : [...(m[3] as string).matchAll(/`([^`]+)`/g)].map((f) => f[1] as string);
    out.set(`${m[1]} ${m[2]}`, fields);
  }
  return out;
}

const NAMING = new Set(["locationUid", "locationUids", "location", "locations", "organization", "organizationUid"]);

/** The fields naming a location at the top of `data` (or of each item when `data` is a list). */
function namingFields(data: unknown): string[] {
  const one = (o: unknown): string[] => (typeof o === "object" && o !== null ? Object.keys(o).filter((k) => NAMING.has(k)) : []);
  if (Array.isArray(data)) return [...new Set(data.flatMap(one))].sort().map((k) => `data[].${k}`);
  return one(data).sort().map((k) => `data.${k}`);
}

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function fresh(): Promise<{ sandbox: Sandbox; token: string }> {
  sandbox = await startSandbox();
  return { sandbox, token: sandbox.issueAccessToken(ownerGrant).accessToken };
}

describe("v4Handlers", () => {
  it("has a handler for each of the 86 operations and a table request for each", () => {
    expect([...v4Handlers.keys()].sort()).toEqual([...ops].sort());
    expect(operationCases.map((c) => c.op).sort()).toEqual([...ops].sort());
  });

  it.skipIf(!haveSpecs)("has a handler, and a request the next test answers, for every operation in Podium's OpenAPI files", () => {
    const openapi = loadOperations().map((o) => `${o.method} ${o.path}`).sort();
    expect(openapi).toHaveLength(86);
    expect([...v4Handlers.keys()].sort()).toEqual(openapi);
    expect(operationCases.map((c) => c.op).sort()).toEqual(openapi);
  });

  it("answers every operation with its documented status and a resource, never an echo of the request", async () => {
    for (const c of operationCases) {
      const { sandbox: sb, token } = await fresh();
      const route = sandboxRoutes.find((r) => `${r.method} ${r.template}` === c.op);
      const answer = await callCase(sb, token, c);
      expect(answer.status, `${c.op} → ${JSON.stringify(answer.body)}`).toBe(route?.status);
      expect(answer.body.metadata, c.op).toMatchObject({ url: `${sb.url}${c.path.split("?")[0]}`, version: "2021.04.01" });
      expect(answer.body.data, c.op).toBeDefined();
      // A generic echo would hand back a field it was sent; no handler does.
      if (c.body !== undefined && typeof c.body === "object") {
        const canary = await callCase(sb, token, { ...c, body: { ...c.body, zzCanary: "zz-canary-7f3a" } });
        expect(JSON.stringify(canary.body), c.op).not.toContain("zz-canary-7f3a");
      }
      await sb.close();
    }
  });

  it.skipIf(!haveDoc)("names the owning location exactly where podium-api.md's second appendix says", async () => {
    const expected = appendixFields();
    expect(expected.size).toBe(86);
    for (const c of operationCases) {
      const { sandbox: sb, token } = await fresh();
      const answer = await callCase(sb, token, c);
      // The OpenAPI files type the contact and conversation lists' `data` as one object; the sandbox answers
      // lists as arrays, so `data.x` of a list reads as `data[].x`.
      const want = (expected.get(c.op) ?? ["(missing)"]).map((f) => (Array.isArray(answer.body.data) ? f.replace(/^data\./, "data[].") : f)).sort();
      if (Array.isArray(answer.body.data)) expect(answer.body.data.length, `${c.op} answers at least one item`).toBeGreaterThan(0);
      expect(namingFields(answer.body.data), c.op).toEqual(want);
      await sb.close();
    }
  });
});
