/**
 * The receiver's HTTP answer to a refusal Podium should retry: `Retry-After` in whole seconds. The core decides the
 * answer (event-hub.spec.ts drives a real full disk into ERR_LOC_AUDIT_UNAVAILABLE with its retryAfterMs); this
 * checks the header on the wire, on a real port, for the answers the core can give.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookAnswer } from "@podium-router/core";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createWebhookReceiver } from "./webhook-receiver.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  server = undefined;
});

/** Serves the receiver with a hub that gives `answer` to every delivery; returns the status and headers of one POST. */
async function postWith(answer: WebhookAnswer): Promise<{ status: number; retryAfter: string | null }> {
  const receive = createWebhookReceiver({ events: { receive: async () => answer, maxBodyBytes: 1024 }, logger: pino({ level: "silent" }) });
  server = createServer(receive);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/podium/webhooks/sub_abc`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
  await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after") };
}

const refusal = (status: number, code: "ERR_LOC_AUDIT_UNAVAILABLE" | "ERR_LOC_EVENT_SIGNATURE", retryAfterMs?: number): WebhookAnswer => ({
  status,
  code,
  body: { code, message: "m" },
  retryAfterMs,
});

describe("Retry-After on the receiver's refusals", () => {
  it("rounds the retry time up to whole seconds, and never says 0", async () => {
    expect(await postWith(refusal(503, "ERR_LOC_AUDIT_UNAVAILABLE", 1_000))).toEqual({ status: 503, retryAfter: "1" });
    expect(await postWith(refusal(503, "ERR_LOC_AUDIT_UNAVAILABLE", 2_001))).toEqual({ status: 503, retryAfter: "3" });
    expect(await postWith(refusal(503, "ERR_LOC_AUDIT_UNAVAILABLE", 0))).toEqual({ status: 503, retryAfter: "1" });
  });

  it("sends none where retrying later would not help, or nothing was refused", async () => {
    expect(await postWith(refusal(401, "ERR_LOC_EVENT_SIGNATURE"))).toEqual({ status: 401, retryAfter: null });
    expect(await postWith({ status: 200, body: { received: true } })).toEqual({ status: 200, retryAfter: null });
  });
});
