import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Event } from "@podium-router/client";
import { BURLEIGH, BURLEIGH_EVENTS_KEY, NEWCASTLE, OPS_KEY, startEventsRouter, SYDNEY, SYDNEY_EVENTS_KEY, type EventsRouter } from "../test/events-router.js";

let r: EventsRouter;
beforeAll(async () => {
  r = await startEventsRouter({ max_body_bytes: 4096 });
}, 60_000);
afterAll(async () => {
  await r?.close();
});

/** A subscriber: every event of one location its key may watch, collected until stopped. */
function subscribe(key: string, locationUid: string, protocol: "connect" | "grpc" = "connect"): { events: Event[]; errors: Error[]; stop(): void } {
  const abort = new AbortController();
  const events: Event[] = [];
  const errors: Error[] = [];
  void (async () => {
    try {
      for await (const e of r.client(key, protocol).location(locationUid).events({ signal: abort.signal, reconnect: false })) events.push(e);
    } catch (err) {
      errors.push(err as Error);
    }
  })();
  return { events, errors, stop: () => abort.abort() };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((res) => setTimeout(res, 20));
}

/** The subscription id and secret sync gave a location, as Podium holds them. */
async function webhookOf(locationUid: string): Promise<{ url: string; secret: string; uid: string }> {
  const token = r.sandbox.issueAccessToken(defaultOwnerGrant()).accessToken;
  const res = await fetch(`${r.sandbox.url}/v4/webhooks?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  const hook = ((await res.json()) as { data: Array<{ url: string; secret: string; uid: string; locationUid: string }> }).data.find((w) => w.locationUid === locationUid && w.url.startsWith(r.url));
  if (hook === undefined) throw new Error(`no webhook for ${locationUid}`);
  return hook;
}
const defaultOwnerGrant = (): string => "grant-coastal-owner";

const doc = (eventType: string, data: unknown): string => JSON.stringify({ data, metadata: { event_type: eventType, version: "2021.04.01" } });
const sign = (secret: string, ts: string, body: string): string => createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex");

/** One raw POST to the receiver (HTTP/1.1), as Podium or an attacker would send it. */
function post(url: string, body: string, headers: Record<string, string> = {}, opts: { chunked?: boolean } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", ...(opts.chunked ? {} : { "content-length": String(Buffer.byteLength(body)) }), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    if (opts.chunked) {
      // Written in pieces without a length: the limit must hold while reading, not only on the header.
      const piece = body.slice(0, 1024);
      for (let i = 0; i < body.length; i += 1024) req.write(body.slice(i, i + 1024) || piece);
      req.end();
    } else req.end(body);
  });
}

describe("inbound events end to end (sandbox → receiver → log → WatchEvents)", () => {
  it("delivers a contact written for Sydney through the router to a Sydney subscriber exactly once, and never to Burleigh Heads'", async () => {
    const sydney = subscribe(SYDNEY_EVENTS_KEY, SYDNEY);
    const sydneyGrpc = subscribe(SYDNEY_EVENTS_KEY, SYDNEY, "grpc");
    const burleigh = subscribe(BURLEIGH_EVENTS_KEY, BURLEIGH);
    try {
      await new Promise((res) => setTimeout(res, 200));
      const res = await r.client(SYDNEY_EVENTS_KEY).location(SYDNEY).call("POST", "/v4/contacts", { name: "Ada Lovelace", locations: [SYDNEY] });
      expect(res.status).toBe(202);
      expect(await r.sandbox.settleWebhooks(10_000)).toBe(true);
      await until(() => sydney.events.length >= 1 && sydneyGrpc.events.length >= 1);
      // Give a duplicate, had there been one, the time to arrive.
      await new Promise((res) => setTimeout(res, 300));
      expect(sydney.events.map((e) => [e.eventType, e.locationUid])).toEqual([["contact.created", SYDNEY]]);
      expect(sydneyGrpc.events.map((e) => e.eventId)).toEqual(sydney.events.map((e) => e.eventId));
      expect(JSON.parse(sydney.events[0]?.body ?? "")).toMatchObject({ data: { name: "Ada Lovelace", locations: [{ uid: SYDNEY }] }, metadata: { event_type: "contact.created" } });
      expect(burleigh.events).toEqual([]);
      expect(r.sandbox.webhookDeliveries().filter((d) => d.eventType === "contact.created").map((d) => [d.status, d.acknowledged])).toEqual([[200, true]]);
      await until(() => r.auditLines().some((l) => l.method === "EVENT"));
      const line = r.auditLines().find((l) => l.method === "EVENT");
      expect(line).toEqual(expect.objectContaining({ location_uid: SYDNEY, endpoint: "contact.created", status: 200, request_id: sydney.events[0]?.eventId, caller: "podium" }));
      expect(JSON.stringify(r.auditLines())).not.toContain("Lovelace");
    } finally {
      sydney.stop();
      sydneyGrpc.stop();
      burleigh.stop();
    }
  });

  it("refuses a Sydney key's WatchEvents for Burleigh Heads with PERMISSION_DENIED before reading any event, audited", async () => {
    const before = r.auditLines().length;
    const err = await (async () => {
      for await (const _ of r.client(SYDNEY_EVENTS_KEY).watchEvents({ locationUid: BURLEIGH })) return undefined;
      return undefined;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ERR_LOC_PERMISSION_DENIED" });
    // The audit log writes in the background.
    await until(() => r.auditLines().length > before);
    expect(r.auditLines().slice(before)).toEqual([expect.objectContaining({ location_uid: BURLEIGH, endpoint: "router:WatchEvents", caller: "sydney-app", error_code: "ERR_LOC_PERMISSION_DENIED" })]);
  });

  it("refuses forged, stale, replayed, oversized and misaddressed webhooks with typed statuses, counts and audits each, and delivers none", async () => {
    const sydney = subscribe(SYDNEY_EVENTS_KEY, SYDNEY);
    try {
      await new Promise((res) => setTimeout(res, 200));
      const skip = sydney.events.length;
      const hook = await webhookOf(SYDNEY);
      const now = String(Date.now());
      const good = doc("message.received", { uid: "m-77", body: "hi", location: { uid: SYDNEY } });
      const signedHeaders = (body: string, ts = now) => ({ "podium-timestamp": ts, "podium-signature": sign(hook.secret, ts, body) });
      const before = { sig: await r.received("ERR_LOC_EVENT_SIGNATURE"), stale: await r.received("ERR_LOC_EVENT_STALE"), replay: await r.received("ERR_LOC_EVENT_REPLAYED"), big: await r.received("ERR_LOC_EVENT_TOO_LARGE"), mismatch: await r.received("ERR_LOC_MISMATCH"), unknown: await r.received("ERR_LOC_UNKNOWN") };
      await until(() => false, 200); // lines of earlier tests reach the file
      const auditBefore = r.auditLines().length;

      // Forged: another key's signature.
      expect(await post(hook.url, good, { "podium-timestamp": now, "podium-signature": sign("not-the-secret", now, good) })).toMatchObject({ status: 401, body: expect.stringContaining("ERR_LOC_EVENT_SIGNATURE") });
      // Stale: a valid signature over a timestamp ten minutes old.
      const old = String(Date.now() - 600_000);
      expect(await post(hook.url, good, signedHeaders(good, old))).toMatchObject({ status: 401, body: expect.stringContaining("ERR_LOC_EVENT_STALE") });
      // Replay: the very same request twice.
      const once = signedHeaders(good);
      expect((await post(hook.url, good, once)).status).toBe(200);
      expect(await post(hook.url, good, once)).toMatchObject({ status: 409, body: expect.stringContaining("ERR_LOC_EVENT_REPLAYED") });
      // Oversized: announced by its length, and streamed without one.
      const big = doc("message.received", { uid: "m-big", body: "x".repeat(5000), location: { uid: SYDNEY } });
      expect((await post(hook.url, big, signedHeaders(big))).status).toBe(413);
      expect((await post(hook.url, big, signedHeaders(big), { chunked: true })).status).toBe(413);
      // Misaddressed: another served location's event, an unregistered location's event.
      const other = doc("contact.created", { uid: "c-b", locations: [{ uid: BURLEIGH }] });
      expect(await post(hook.url, other, signedHeaders(other))).toMatchObject({ status: 400, body: expect.stringContaining("ERR_LOC_MISMATCH") });
      const unregistered = doc("call.missed", { uid: "k-n", locationUid: NEWCASTLE });
      expect(await post(hook.url, unregistered, signedHeaders(unregistered))).toMatchObject({ status: 404, body: expect.stringContaining("ERR_LOC_UNKNOWN") });
      // An unknown subscription, and a GET.
      expect((await post(`${r.url}/podium/webhooks/sub_nosuchsubscription0000`, good, signedHeaders(good))).status).toBe(404);
      expect((await fetch(hook.url)).status).toBe(405);

      expect({
        sig: (await r.received("ERR_LOC_EVENT_SIGNATURE")) - before.sig,
        stale: (await r.received("ERR_LOC_EVENT_STALE")) - before.stale,
        replay: (await r.received("ERR_LOC_EVENT_REPLAYED")) - before.replay,
        big: (await r.received("ERR_LOC_EVENT_TOO_LARGE")) - before.big,
        mismatch: (await r.received("ERR_LOC_MISMATCH")) - before.mismatch,
        unknown: (await r.received("ERR_LOC_UNKNOWN")) - before.unknown,
      }).toEqual({ sig: 1, stale: 1, replay: 1, big: 2, mismatch: 1, unknown: 1 });
      await until(() => r.auditLines().slice(auditBefore).filter((l) => l.method === "EVENT").length >= 8);
      const lines = r.auditLines().slice(auditBefore).filter((l) => l.method === "EVENT");
      expect(lines.map((l) => [l.status, l.error_code ?? ""])).toEqual([
        [401, "ERR_LOC_EVENT_SIGNATURE"],
        [401, "ERR_LOC_EVENT_STALE"],
        [200, ""],
        [409, "ERR_LOC_EVENT_REPLAYED"],
        [413, "ERR_LOC_EVENT_TOO_LARGE"],
        [413, "ERR_LOC_EVENT_TOO_LARGE"],
        [400, "ERR_LOC_MISMATCH"],
        [404, "ERR_LOC_UNKNOWN"],
      ]);
      expect(lines.every((l) => l.location_uid === SYDNEY)).toBe(true);
      // Only the one genuine event reached the subscriber.
      await until(() => sydney.events.length > skip);
      await new Promise((res) => setTimeout(res, 300));
      expect(sydney.events.slice(skip).map((e) => JSON.parse(e.body).data.uid)).toEqual(["m-77"]);
    } finally {
      sydney.stop();
    }
  });

  it("gives a subscriber that was away the backlog in order from its cursor", async () => {
    const client = r.client(SYDNEY_EVENTS_KEY);
    const status = await r.client(OPS_KEY).location(SYDNEY).status();
    const cursor = status.events?.lastCursor ?? "0";
    // The subscriber is down while Podium sends five events.
    for (const t of ["call.received", "call.missed", "message.received", "review.created", "call.voicemail_left"]) r.sandbox.emitEvent({ eventType: t, locationUid: SYDNEY });
    expect(await r.sandbox.settleWebhooks(10_000)).toBe(true);
    const got: Event[] = [];
    const abort = new AbortController();
    for await (const e of client.location(SYDNEY).events({ afterCursor: cursor, signal: abort.signal })) {
      got.push(e);
      if (got.length === 5) abort.abort();
    }
    expect(got.map((e) => e.eventType)).toEqual(["call.received", "call.missed", "message.received", "review.created", "call.voicemail_left"]);
    expect(got.map((e) => Number(e.cursor))).toEqual([1, 2, 3, 4, 5].map((i) => Number(cursor) + i));
  });

  it("shows the webhook and the log in GetLocationStatus, and removes the Podium webhook with the location", async () => {
    const ops = r.client(OPS_KEY);
    const s = await ops.location(BURLEIGH).status();
    expect(s.events).toMatchObject({ subscriptionId: expect.stringMatching(/^sub_/), podiumWebhookUid: expect.any(String), lastCursor: "0" });
    const hook = await webhookOf(BURLEIGH);
    await ops.location(BURLEIGH).remove();
    await expect(webhookOf(BURLEIGH)).rejects.toThrow(/no webhook/);
    expect((await post(hook.url, "{}", {})).status).toBe(404);
  });

  it("ends open WatchEvents streams when the server shuts down, instead of holding it for the grace period", async () => {
    const sydney = subscribe(SYDNEY_EVENTS_KEY, SYDNEY);
    await until(() => false, 200);
    await r.server.close();
    // A stream left open would have run out the grace period and been cut, which the server logs.
    expect(r.logText()).not.toMatch(/shutdown grace period over/);
    await until(() => sydney.errors.length > 0, 2_000);
    sydney.stop();
  });
});
