import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bareFixture, call, startSandbox } from "../test/harness.js";
import { defaultFixtureIds } from "./fixtures/default-fixture.js";
import type { Sandbox } from "./sandbox.js";

const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const BURLEIGH = cs.locations.burleighHeads;

/** What a receiver saw: the headers that matter and the raw body. */
interface Received {
  path: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

/** A local webhook receiver whose answer each test decides (a status, or never answering). */
async function startReceiver(answer: (r: Received, n: number) => number | "hang" = () => 200): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r: Received = {
        path: req.url ?? "",
        timestamp: req.headers["podium-timestamp"] as string | undefined,
        signature: req.headers["podium-signature"] as string | undefined,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      got.push(r);
      const a = answer(r, got.length);
      if (a === "hang") return;
      res.writeHead(a).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let sandbox: Sandbox;
let owner: string;

beforeEach(async () => {
  sandbox = await startSandbox({ fixture: bareFixture(), webhooks: { baseDelayMs: 5, maxDelayMs: 20, timeoutMs: 300 } });
  owner = sandbox.issueAccessToken(cs.ownerGrant.grantId).accessToken;
});
afterEach(async () => {
  await sandbox.close();
});

async function subscribe(url: string, body: Record<string, unknown>): Promise<string> {
  const made = await call(sandbox, "POST", "/v4/webhooks", { token: owner, body: { url, ...body } });
  expect(made.status).toBe(200);
  return made.body.data.uid as string;
}

const createContact = (name: string, locations: string[]) => call(sandbox, "POST", "/v4/contacts", { token: owner, body: { name, locations } });

describe("webhook emitter", () => {
  it("posts contact.created to the contact's location webhook as Podium's document, signed over timestamp.body", async () => {
    const rx = await startReceiver();
    try {
      await subscribe(`${rx.url}/sydney`, { locationUid: SYDNEY, eventTypes: ["contact.created"], secret: "sydney-secret" });
      await subscribe(`${rx.url}/burleigh`, { locationUid: BURLEIGH, eventTypes: ["contact.created"], secret: "burleigh-secret" });
      expect((await createContact("Ada", [SYDNEY])).status).toBe(202);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      expect(rx.got.map((r) => r.path)).toEqual(["/sydney"]);
      const [r] = rx.got as [Received];
      const doc = JSON.parse(r.body);
      expect(doc.metadata).toEqual({ event_type: "contact.created", version: "2021.04.01" });
      expect(doc.data).toMatchObject({ name: "Ada", locations: [{ uid: SYDNEY }], organization: { uid: cs.organizationUid } });
      expect(r.timestamp).toMatch(/^\d{13}$/);
      expect(r.signature).toBe(createHmac("sha256", "sydney-secret").update(`${r.timestamp}.${r.body}`).digest("hex"));
      expect(sandbox.webhookDeliveries()).toMatchObject([{ eventType: "contact.created", attempt: 1, status: 200, acknowledged: true }]);
    } finally {
      await rx.close();
    }
  });

  it("sends unsigned events to a webhook without a secret, and every event of its organization to an organization webhook", async () => {
    const rx = await startReceiver();
    try {
      await subscribe(`${rx.url}/org`, { organizationUid: cs.organizationUid, eventTypes: ["contact.created", "call.received"] });
      await createContact("Bo", [BURLEIGH]);
      sandbox.emitEvent({ eventType: "call.received", locationUid: SYDNEY });
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      expect(rx.got).toHaveLength(2);
      expect(rx.got.every((r) => r.signature === undefined && r.timestamp === undefined)).toBe(true);
      const call0 = JSON.parse((rx.got[1] as Received).body);
      expect(call0).toMatchObject({ metadata: { event_type: "call.received" }, data: { locationUid: SYDNEY, organizationUid: cs.organizationUid } });
    } finally {
      await rx.close();
    }
  });

  it("retries a failing event with backoff, holds later events behind it, and delivers them in order once it succeeds", async () => {
    const rx = await startReceiver((_r, n) => (n <= 3 ? 503 : 200));
    try {
      await subscribe(rx.url, { locationUid: SYDNEY, eventTypes: ["contact.created"], secret: "s" });
      for (const name of ["One", "Two", "Three"]) await createContact(name, [SYDNEY]);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      const names = rx.got.map((r) => JSON.parse(r.body).data.name as string);
      // Three failed attempts at "One" before anything else was sent.
      expect(names).toEqual(["One", "One", "One", "One", "Two", "Three"]);
      const attempts = sandbox.webhookDeliveries().map((d) => [d.attempt, d.status]);
      expect(attempts).toEqual([[1, 503], [2, 503], [3, 503], [4, 200], [1, 200], [1, 200]]);
      // A fresh timestamp (and so signature) per attempt, over the same bytes.
      expect(new Set(rx.got.slice(0, 4).map((r) => r.body)).size).toBe(1);
    } finally {
      await rx.close();
    }
  });

  it("fails an attempt that gets no answer within the timeout", async () => {
    const rx = await startReceiver((_r, n) => (n === 1 ? "hang" : 200));
    try {
      await subscribe(rx.url, { locationUid: SYDNEY, eventTypes: ["contact.created"] });
      await createContact("Slow", [SYDNEY]);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      const [first, second] = sandbox.webhookDeliveries();
      expect(first).toMatchObject({ attempt: 1, status: 0, acknowledged: false });
      expect(first?.error).toMatch(/no answer within 300 ms/);
      expect(second).toMatchObject({ attempt: 2, status: 200, acknowledged: true });
    } finally {
      await rx.close();
    }
  });

  it("disables the webhook after maxAttempts failures, keeps its queue, and resumes when it is enabled again", async () => {
    let up = false;
    const rx = await startReceiver(() => (up ? 200 : 500));
    try {
      sandbox.setWebhookConfig({ maxAttempts: 3 });
      const uid = await subscribe(rx.url, { locationUid: SYDNEY, eventTypes: ["contact.created"] });
      await createContact("First", [SYDNEY]);
      await createContact("Second", [SYDNEY]);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      expect(sandbox.webhookDeliveries().map((d) => d.status)).toEqual([500, 500, 500]);
      expect((await call(sandbox, "GET", `/v4/webhooks/${uid}`, { token: owner })).body.data.disabled).toBe(true);
      expect(sandbox.webhookQueues()).toEqual([{ webhookUid: uid, pending: 2, attempts: 0, disabled: true }]);
      up = true;
      expect((await call(sandbox, "PUT", `/v4/webhooks/${uid}`, { token: owner, body: { disabled: false } })).status).toBe(200);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      expect(rx.got.slice(3).map((r) => JSON.parse(r.body).data.name)).toEqual(["First", "Second"]);
    } finally {
      await rx.close();
    }
  });

  it("signs with a wrong key under the tamperSignatures fault, and base64 on request", async () => {
    const rx = await startReceiver();
    try {
      await subscribe(rx.url, { locationUid: SYDNEY, eventTypes: ["contact.created"], secret: "k" });
      sandbox.setWebhookConfig({ tamperSignatures: true });
      await createContact("T", [SYDNEY]);
      sandbox.setWebhookConfig({ tamperSignatures: false, signatureEncoding: "base64" });
      await sandbox.settleWebhooks(5_000);
      await createContact("B", [SYDNEY]);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      const [tampered, b64] = rx.got as [Received, Received];
      expect(tampered.signature).not.toBe(createHmac("sha256", "k").update(`${tampered.timestamp}.${tampered.body}`).digest("hex"));
      expect(b64.signature).toBe(createHmac("sha256", "k").update(`${b64.timestamp}.${b64.body}`).digest("base64"));
    } finally {
      await rx.close();
    }
  });

  it("raises message, review and invoice events from API writes, each naming its location", async () => {
    const rx = await startReceiver();
    try {
      const types = ["message.sent", "review.invite_link_created", "invoice.created"];
      await subscribe(rx.url, { locationUid: SYDNEY, eventTypes: types });
      await call(sandbox, "POST", "/v4/messages", { token: owner, body: { body: "hi", channel: { type: "phone", identifier: "+61400999001" }, locationUid: SYDNEY } });
      await call(sandbox, "POST", "/v4/reviews/invites", { token: owner, body: { locationUid: SYDNEY, phoneNumber: "+61400999001" } });
      const inv = await call(sandbox, "POST", "/v4/invoices", {
        token: owner,
        body: { locationUid: SYDNEY, channelIdentifier: "+61400999001", customerName: "Ada", invoiceNumber: "INV-9", lineItems: [{ description: "Clean", amount: 100 }] },
      });
      expect(inv.status).toBe(200);
      expect(await sandbox.settleWebhooks(5_000)).toBe(true);
      const docs = rx.got.map((r) => JSON.parse(r.body));
      expect(docs.map((d) => d.metadata.event_type)).toEqual(types);
      expect(docs[0].data.location.uid).toBe(SYDNEY);
      expect(docs[1].data.location.uid).toBe(SYDNEY);
      expect(docs[2].data.location.uid).toBe(SYDNEY);
    } finally {
      await rx.close();
    }
  });

  it("posts only to loopback hosts unless told otherwise", async () => {
    await subscribe("https://hooks.example/elsewhere", { locationUid: SYDNEY, eventTypes: ["contact.created"] });
    await createContact("Nobody", [SYDNEY]);
    expect(await sandbox.settleWebhooks(1_000)).toBe(true);
    expect(sandbox.webhookDeliveries()).toEqual([]);
  });

  it("serves the emitter's admin routes and refuses bad input with 400", async () => {
    const rx = await startReceiver();
    try {
      await subscribe(rx.url, { locationUid: SYDNEY, eventTypes: ["review.created"] });
      const admin = (method: string, path: string, body?: unknown) => call(sandbox, method, `/_sandbox/webhooks${path}`, body === undefined ? {} : { body });
      expect(await admin("POST", "/emit", { eventType: "review.created", locationUid: SYDNEY })).toMatchObject({ status: 200, body: { eventType: "review.created" } });
      expect(await admin("POST", "/emit", { eventType: "review.exploded", locationUid: SYDNEY })).toMatchObject({ status: 400 });
      expect(await admin("POST", "/emit", { eventType: "review.created", locationUid: "nowhere" })).toMatchObject({ status: 400 });
      expect(await admin("PUT", "/config", { maxAttempts: 0 })).toMatchObject({ status: 400 });
      expect(await admin("PUT", "/config", { retries: 3 })).toMatchObject({ status: 400 });
      expect(await admin("PUT", "/config", { maxAttempts: 4 })).toMatchObject({ status: 200, body: { maxAttempts: 4 } });
      await sandbox.settleWebhooks(5_000);
      expect((await admin("GET", "/deliveries?since=0")).body.deliveries).toHaveLength(1);
      expect((await admin("GET", "/queues")).body.queues).toMatchObject([{ pending: 0 }]);
      expect(await admin("GET", "/nothing")).toMatchObject({ status: 404 });
    } finally {
      await rx.close();
    }
  });
});
