import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createFakeRouter } from "./testing/fake-router.js";
import { readmeSnippet, runReadmeSnippet } from "./testing/readme-snippet.js";
import type { ReadmeTarget } from "./testing/readme-snippet.js";

// The snippet names Sydney of the sandbox's default fixture, which `npm start` onboards.
const SYDNEY = "c0a57a15-5e11-4000-8000-000000000001";

/**
 * Where the snippet runs: a real router when README_ROUTER_URL and README_ROUTER_API_KEY are set (e.g. a
 * running `podium-router dev`; apps/cli's dev test also runs this snippet against the real stack), else a
 * fake router over real HTTP on port 0 that speaks the same contract and wire errors.
 */
async function startTarget(): Promise<ReadmeTarget & { close(): Promise<void> }> {
  const url = process.env.README_ROUTER_URL;
  const apiKey = process.env.README_ROUTER_API_KEY;
  if (url !== undefined && apiKey !== undefined) return { url, apiKey, close: async () => {} };
  const fake = createFakeRouter({
    apiKey: "k-readme",
    locations: [{ locationUid: SYDNEY, orgSlug: "coastal-smiles" }],
    onCall: () => ({ status: 202, body: '{"data":{"identifier":"contact-1"},"metadata":{}}' }),
  });
  const server = http.createServer(connectNodeAdapter({ routes: fake.routes }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiKey: "k-readme",
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe("README.md", () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.close();
  });

  it("has a TypeScript client snippet that uses createRouterClient", async () => {
    expect(await readmeSnippet()).toContain("createRouterClient(");
  });

  it("runs the client snippet: a contact created for Sydney, an unknown location refused", async () => {
    const printed = await runReadmeSnippet(target);
    expect(printed).toHaveLength(2);
    expect(printed[0]).toMatch(/^202 \{ data: \{ identifier: '[^']+' \}/);
    expect(printed[1]).toBe("ERR_LOC_UNKNOWN");
  });
});
