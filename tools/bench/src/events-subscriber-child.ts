/**
 * Child process of the events bench: the subscriber, alone in its process so the load generator's CPU never delays
 * it. It follows the location's events on WatchEvents (gRPC) and, while recording, takes each event's
 * receipt-to-delivery time from the send time the generator wrote into the event (`data.sentAt`, epoch ms with
 * sub-millisecond precision: `performance.timeOrigin + performance.now()`, one machine clock for both processes).
 */
import { performance } from "node:perf_hooks";
import { createRouterClient, type RouterClient } from "@podium-router/client";
import { serveBenchParent } from "./bench-child.js";
import { createLatencyRecorder, type LatencyRecorder, type LatencySummary } from "./bench-stats.js";

let client: RouterClient | undefined;
const stop = new AbortController();
let recorder: LatencyRecorder | undefined;
let lastAt = 0;
let seen = 0;

const epochNow = (): number => performance.timeOrigin + performance.now();

serveBenchParent({
  start: async ({ routerUrl, apiKey, locationUid }: { routerUrl: string; apiKey: string; locationUid: string }) => {
    client = createRouterClient({ baseUrl: routerUrl, apiKey, protocol: "grpc" });
    const events = client.location(locationUid).events({ onlyNew: true, signal: stop.signal });
    void (async () => {
      for await (const e of events) {
        seen++;
        if (recorder === undefined) continue;
        const sentAt = (JSON.parse(e.body) as { data: { sentAt?: number } }).data.sentAt;
        if (typeof sentAt !== "number") continue;
        const now = epochNow();
        recorder.add(now - sentAt);
        lastAt = now;
      }
    })().catch(() => undefined);
  },
  /** How many events it has had so far (all, recorded or not). */
  seen: () => seen,
  record: () => {
    recorder = createLatencyRecorder();
  },
  stopRecording: (): LatencySummary & { lastAt: number } => {
    const summary = recorder?.summary() ?? { count: 0, p50Ms: 0, p99Ms: 0, meanMs: 0 };
    recorder = undefined;
    return { ...summary, lastAt };
  },
  close: async () => {
    stop.abort();
    await client?.close();
  },
});
