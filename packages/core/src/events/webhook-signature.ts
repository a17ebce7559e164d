/**
 * Podium's webhook signature (podium-api.md, "Webhooks"): `podium-signature` = HMAC-SHA256(secret,
 * `podium-timestamp + "." + body`), `podium-timestamp` in epoch milliseconds. Podium does not say whether the
 * signature is hex or base64; both encode the same 32 bytes, so both are accepted. The router's forwarder signs
 * its own deliveries the same way (hex), under its own header names.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { EventSignatureError, EventStaleError, type CoreErrorContext } from "@podium-router/errors";

const DIGEST_BYTES = 32;
// 1-16 digits: epoch milliseconds (13 today); anything longer is not a timestamp.
const TIMESTAMP = /^\d{1,16}$/;

/** What a request claims and the secret to check it with. */
export interface SignedRequest {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/** The HMAC-SHA256 of `timestamp.body` under `secret`, hex. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/**
 * Checks the signature, then the timestamp window (a valid signature over an old timestamp is a replay of a
 * captured request). Throws EventSignatureError (missing, malformed or wrong signature) or EventStaleError
 * (timestamp further than `toleranceMs` from `now`); the messages never quote the presented values.
 */
export function verifyWebhookSignature(req: SignedRequest, now: number, toleranceMs: number, context: CoreErrorContext = {}): void {
  const { timestamp, signature } = req;
  if (timestamp === undefined || signature === undefined || timestamp === "" || signature === "") {
    throw new EventSignatureError(context, "the request has no podium-timestamp or podium-signature");
  }
  const presented = decodeSignature(signature.trim());
  if (!TIMESTAMP.test(timestamp) || presented === undefined) throw new EventSignatureError(context, "podium-timestamp or podium-signature is malformed");
  const expected = createHmac("sha256", req.secret).update(`${timestamp}.${req.body}`).digest();
  if (!timingSafeEqual(expected, presented)) throw new EventSignatureError(context, "podium-signature does not match the subscription's secret");
  const skew = Math.abs(now - Number(timestamp));
  if (skew > toleranceMs) throw new EventStaleError(context, `podium-timestamp is ${Math.round(skew / 1000)} s from this host's clock (limit ${Math.round(toleranceMs / 1000)} s)`);
}

/** 32 bytes from hex (64 digits) or base64 (standard or url-safe), else undefined. */
function decodeSignature(s: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    return b.length === DIGEST_BYTES ? b : undefined;
  }
  return undefined;
}
