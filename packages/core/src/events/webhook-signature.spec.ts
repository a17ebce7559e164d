import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "./webhook-signature.js";

const secret = "whsec-test";
const body = '{"data":{},"metadata":{"event_type":"contact.created","version":"2021.04.01"}}';
const NOW = 1_700_000_000_000;
const TOLERANCE = 300_000;
const check = (timestamp: string | undefined, signature: string | undefined, b = body, now = NOW) => () => verifyWebhookSignature({ secret, timestamp, signature, body: b }, now, TOLERANCE);

describe("verifyWebhookSignature()", () => {
  const ts = String(NOW);
  const hex = createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");

  it("accepts HMAC-SHA256 of timestamp.body, hex (either case) or base64", () => {
    expect(signWebhook(secret, ts, body)).toBe(hex);
    expect(check(ts, hex)).not.toThrow();
    expect(check(ts, hex.toUpperCase())).not.toThrow();
    expect(check(ts, Buffer.from(hex, "hex").toString("base64"))).not.toThrow();
    expect(check(ts, Buffer.from(hex, "hex").toString("base64url"))).not.toThrow();
  });

  it.each([
    ["no signature", ts, undefined],
    ["no timestamp", undefined, hex],
    ["a signature with another secret", ts, createHmac("sha256", "other").update(`${ts}.${body}`).digest("hex")],
    ["a signature over another timestamp", String(NOW - 1), hex],
    ["a truncated signature", ts, hex.slice(0, 40)],
    ["a timestamp that is not digits", "1.7e12", hex],
  ])("refuses %s with ERR_LOC_EVENT_SIGNATURE", (_what, t, sig) => {
    expect(check(t, sig)).toThrow(expect.objectContaining({ code: "ERR_LOC_EVENT_SIGNATURE" }));
  });

  it("refuses a body changed after signing", () => {
    expect(check(ts, hex, body.replace("contact.created", "contact.deleted"))).toThrow(expect.objectContaining({ code: "ERR_LOC_EVENT_SIGNATURE" }));
  });

  it("refuses a valid signature whose timestamp is outside the window, either side, with ERR_LOC_EVENT_STALE", () => {
    const old = String(NOW - TOLERANCE - 1);
    const future = String(NOW + TOLERANCE + 1);
    expect(check(old, signWebhook(secret, old, body))).toThrow(expect.objectContaining({ code: "ERR_LOC_EVENT_STALE" }));
    expect(check(future, signWebhook(secret, future, body))).toThrow(expect.objectContaining({ code: "ERR_LOC_EVENT_STALE" }));
    const edge = String(NOW - TOLERANCE);
    expect(check(edge, signWebhook(secret, edge, body))).not.toThrow();
  });

  it("never quotes the presented values in its messages", () => {
    try {
      check(ts, "f".repeat(64))();
    } catch (err) {
      expect((err as Error).message).not.toContain("ffff");
      expect((err as Error).message).not.toContain(ts);
    }
  });
});
