import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { LocationRateLimitedError } from "@podium-router/errors";
import { createFakeRouter, wireError } from "./testing/fake-router.js";
import { createRetryInterceptor } from "./retry-interceptor.js";
import { createRouterClient } from "./router-client.js";
import type { RouterClientOptions } from "./router-client-options.js";

const sydney = { locationUid: "loc-sydney", orgSlug: "coastal-smiles" };

/** A router whose Call refuses `refusals` times with `refuse()`, then answers 200. */
function refusingRouter(refusals: number, refuse: () => ConnectError, options: Partial<RouterClientOptions> = {}) {
  const timeouts: (string | null)[] = [];
  let attempts = 0;
  const fake = createFakeRouter({
    locations: [sydney],
    onCall: (_req, ctx) => {
      attempts++;
      timeouts.push(ctx.requestHeader.get("connect-timeout-ms"));
      if (attempts <= refusals) throw refuse();
      return { status: 200, body: "{}" };
    },
  });
  const client = createRouterClient({ transport: fake.transport, ...options });
  return { client, attempts: () => attempts, timeouts };
}

const rateLimited = (retryAfterMs?: number) => () =>
  wireError("ERR_LOC_RATE_LIMITED", "budget spent", retryAfterMs === undefined ? { locationUid: "loc-sydney" } : { locationUid: "loc-sydney", retryAfterMs });

describe("createRetryInterceptor()", () => {
  it("retries RESOURCE_EXHAUSTED after the router's retry delay, then succeeds", async () => {
    const r = refusingRouter(2, rateLimited(10));
    const res = await r.client.location("loc-sydney").call("POST", "/v4/contacts", { name: "Ada" });
    expect(res.status).toBe(200);
    expect(r.attempts()).toBe(3);
  });

  it("retries ERR_LOC_AUDIT_UNAVAILABLE refused before sending (it carries a retry delay), never the one after Podium answered", async () => {
    const before = refusingRouter(1, () => wireError("ERR_LOC_AUDIT_UNAVAILABLE", "audit log full", { locationUid: "loc-sydney", retryAfterMs: 5, code: Code.Unavailable }));
    expect((await before.client.location("loc-sydney").call("POST", "/v4/contacts", { name: "Ada" })).status).toBe(200);
    expect(before.attempts()).toBe(2);
    const after = refusingRouter(1, () => wireError("ERR_LOC_AUDIT_UNAVAILABLE", "Podium answered 202, but", { locationUid: "loc-sydney", code: Code.Unavailable }));
    const err = await after.client.location("loc-sydney").call("POST", "/v4/contacts", { name: "Ada" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_AUDIT_UNAVAILABLE", name: "AuditUnavailableError" });
    expect(after.attempts()).toBe(1);
    // Any other UNAVAILABLE, e.g. Podium down with a retry delay, is not retried: a POST may have reached Podium.
    const upstream = refusingRouter(1, () => wireError("ERR_LOC_UPSTREAM_UNAVAILABLE", "down", { retryAfterMs: 5, code: Code.Unavailable }));
    await upstream.client.location("loc-sydney").call("POST", "/v4/contacts", {}).catch(() => undefined);
    expect(upstream.attempts()).toBe(1);
  });

  it("backs off without a retry delay from the router", async () => {
    const r = refusingRouter(1, rateLimited(), { retry: { initialDelayMs: 5 } });
    expect((await r.client.location("loc-sydney").call("GET", "/v4/contacts")).status).toBe(200);
    expect(r.attempts()).toBe(2);
  });

  it("gives up after maxAttempts with LocationRateLimitedError carrying retryAfterMs", async () => {
    const r = refusingRouter(10, rateLimited(5), { retry: { maxAttempts: 2 } });
    const err = await r.client.location("loc-sydney").call("GET", "/v4/contacts").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocationRateLimitedError);
    expect(err).toMatchObject({ retryAfterMs: 5, locationUid: "loc-sydney" });
    expect(r.attempts()).toBe(2);
  });

  it("throws at once when the retry delay would end after the call's deadline", async () => {
    const r = refusingRouter(1, rateLimited(5_000));
    const err = await r.client.location("loc-sydney").call("GET", "/v4/contacts", undefined, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    // The refusal itself, not a deadline error: the caller learns why and when to come back.
    expect(err).toMatchObject({ code: "ERR_LOC_RATE_LIMITED", retryAfterMs: 5_000 });
    expect(r.attempts()).toBe(1);
  });

  it("does not wait for a router delay longer than maxDelayMs", async () => {
    const r = refusingRouter(1, rateLimited(60_000));
    await expect(r.client.location("loc-sydney").call("GET", "/v4/contacts")).rejects.toBeInstanceOf(LocationRateLimitedError);
    expect(r.attempts()).toBe(1);
  });

  it("sends what is left of the deadline on a retry", async () => {
    const r = refusingRouter(1, rateLimited(30));
    await r.client.location("loc-sydney").call("GET", "/v4/contacts", undefined, { timeoutMs: 10_000 });
    const [first, second] = r.timeouts.map(Number);
    expect(first).toBe(10_000);
    expect(second).toBeLessThanOrEqual(10_000 - 30);
  });

  it("does not retry codes outside retryableCodes", async () => {
    const r = refusingRouter(1, () => wireError("ERR_LOC_UPSTREAM_UNAVAILABLE", "podium down", { code: Code.Unavailable }));
    await expect(r.client.location("loc-sydney").call("POST", "/v4/contacts", {})).rejects.toMatchObject({ code: "ERR_LOC_UPSTREAM_UNAVAILABLE" });
    expect(r.attempts()).toBe(1);
  });

  it("retries the codes of a custom retryableCodes set", async () => {
    const r = refusingRouter(1, () => new ConnectError("blip", Code.Unavailable), {
      retry: { retryableCodes: new Set([Code.Unavailable]), initialDelayMs: 1 },
    });
    expect((await r.client.location("loc-sydney").call("GET", "/v4/contacts")).status).toBe(200);
    expect(r.attempts()).toBe(2);
  });

  it("is off with retry: false", async () => {
    const r = refusingRouter(1, rateLimited(1), { retry: false });
    await expect(r.client.location("loc-sydney").call("GET", "/v4/contacts")).rejects.toBeInstanceOf(LocationRateLimitedError);
    expect(r.attempts()).toBe(1);
  });

  it("refuses options that break a rule, naming the option", () => {
    expect(() => createRetryInterceptor({ maxAttempts: 0 })).toThrow(/retry.maxAttempts must be an integer >= 1/);
    expect(() => createRetryInterceptor({ jitter: 1 })).toThrow(/retry.jitter must be a number in \[0, 1\)/);
    expect(() => createRetryInterceptor({ backoffCoefficient: 0.5 })).toThrow(/retry.backoffCoefficient/);
  });
});
