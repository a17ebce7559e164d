/**
 * The bench's ceiling: a LocationRouter that answers every Call at once with a canned Podium answer.
 * Served by the real createRouterServer (sniffer, grpc-js engine, connect-node, API-key check,
 * metrics, proto mapping), it measures what the server stack itself costs per call, without the core
 * and the upstream round trip. Bench-only: not part of the product.
 */
import type { LocationRouter, RoutedResponse } from "@podium-router/core";

/**
 * A LocationRouter whose `call()` returns `answer` (with the call's request id). Only what a `Call`
 * RPC reaches is implemented: the bench sends nothing else, and listing every other method would tie
 * this stub to each change of the core's interface.
 */
export function createEchoLocationRouter(answer: RoutedResponse): LocationRouter {
  const echo: Partial<LocationRouter> = {
    call: async (call) => ({ ...answer, requestId: call.requestId ?? answer.requestId, latencyMs: 0 }),
    recordRefusal: () => {},
    close: async () => {},
  };
  return echo as LocationRouter;
}
