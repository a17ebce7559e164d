// Test doubles for code that uses the client: an in-memory router speaking the real contract and wire errors.
// Exposed as the subpath `@podium-router/client/testing`; not part of the SDK's runtime surface.
export { createFakeRouter, wireError } from "./fake-router.js";
export type { FakeAuditRecord, FakeLocation, FakeRouter, FakeRouterOptions } from "./fake-router.js";
export { readmeSnippet, runReadmeSnippet } from "./readme-snippet.js";
export { checkApiKey } from "./key-check.js";
export type { ReadmeTarget } from "./readme-snippet.js";
