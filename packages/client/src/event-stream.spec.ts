import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { resumingEventStream } from "./event-stream.js";
import { createRouterClient, type RouterClient } from "./router-client.js";
import { createFakeRouter } from "./testing/fake-router.js";

const doc = (n: number): string => JSON.stringify({ data: { uid: `k-${n}`, locationUid: "loc-a" }, metadata: { event_type: "call.received", version: "2021.04.01" } });

describe("LocationHandle.events()", () => {
  it("reconnects from the last cursor when the stream ends, so nothing is skipped and nothing repeats", async () => {
    const log = [{ eventType: "call.received", body: doc(1) }, { eventType: "call.received", body: doc(2) }];
    const fake = createFakeRouter({ locations: [{ locationUid: "loc-a", orgSlug: "org" }], events: { "loc-a": log } });
    const client = createRouterClient({ baseUrl: "http://fake.invalid", transport: fake.transport });
    const abort = new AbortController();
    const got: string[] = [];
    const reconnects: Array<string | undefined> = [];
    // The fake ends each stream at the end of its log; more events arrive while the subscriber reconnects.
    const onReconnect = (why: Error | undefined): void => {
      reconnects.push(why?.message);
      if (reconnects.length === 1) log.push({ eventType: "call.received", body: doc(3) }, { eventType: "call.received", body: doc(4) });
    };
    for await (const e of client.location("loc-a").events({ signal: abort.signal, onReconnect })) {
      got.push(e.cursor);
      if (got.length === 4) abort.abort();
    }
    expect(got).toEqual(["1", "2", "3", "4"]);
    expect(reconnects).toEqual([undefined]);
    const watches = fake.received.filter((r) => r.method === "WatchEvents");
    expect(watches).toHaveLength(2);
  });

  it("throws refusals instead of reconnecting: an unknown location", async () => {
    const fake = createFakeRouter({ locations: [] });
    const client = createRouterClient({ baseUrl: "http://fake.invalid", transport: fake.transport });
    const run = async (): Promise<void> => {
      for await (const _ of client.location("loc-x").events()) return;
    };
    await expect(run()).rejects.toMatchObject({ code: "ERR_LOC_UNKNOWN" });
  });

  it("stops after one stream with reconnect: false", async () => {
    const fake = createFakeRouter({ locations: [{ locationUid: "loc-a", orgSlug: "org" }], events: { "loc-a": [{ eventType: "call.received", body: doc(1) }] } });
    const client = createRouterClient({ baseUrl: "http://fake.invalid", transport: fake.transport });
    const got: string[] = [];
    for await (const e of client.location("loc-a").events({ reconnect: false })) got.push(e.cursor);
    expect(got).toEqual(["1"]);
  });

  /** A watchEvents that fails each call with the next of `failures`, then streams one event per call. */
  function failingThenStreaming(failures: Error[]): Pick<RouterClient, "watchEvents"> & { calls: number } {
    const fake = {
      calls: 0,
      watchEvents: async function* () {
        const n = fake.calls++;
        if (n < failures.length) throw failures[n];
        yield { events: [{ cursor: String(n), eventType: "call.received", body: doc(n) }] };
      },
    };
    return fake as unknown as Pick<RouterClient, "watchEvents"> & { calls: number };
  }
  const nodeError = (code: string, message: string): Error => Object.assign(new Error(message), { code, syscall: "write" });
  /** As connect-node's connectErrorFromNodeReason (node-error.ts, not exported) wraps a Node error: cause kept. */
  const wrapped = (code: Code, cause: Error): ConnectError => new ConnectError(cause.message, code, undefined, undefined, cause);

  it("reconnects after a broken connection that connect-node reports as Internal (EPIPE to a killed router)", async () => {
    // What connect-node makes of a write to a socket the killed router left half-open: Code.Internal, EPIPE as cause.
    const fake = failingThenStreaming([wrapped(Code.Internal, nodeError("EPIPE", "write EPIPE")), wrapped(Code.Unavailable, nodeError("ECONNREFUSED", "connect ECONNREFUSED"))]);
    const reasons: Array<string | undefined> = [];
    for await (const e of resumingEventStream(fake, "loc-a", { onReconnect: (why) => reasons.push(why?.message) })) {
      expect(e.cursor).toBe("2");
      break;
    }
    expect(reasons).toEqual(["[internal] write EPIPE", "[unavailable] connect ECONNREFUSED"]);
  });

  it("throws an Internal error the router answered (no broken connection under it) instead of reconnecting", async () => {
    const fake = failingThenStreaming([new ConnectError("a bug in the router", Code.Internal)]);
    const run = async (): Promise<void> => {
      for await (const _ of resumingEventStream(fake, "loc-a")) return;
    };
    await expect(run()).rejects.toMatchObject({ code: Code.Internal });
    expect(fake.calls).toBe(1);
  });
});
