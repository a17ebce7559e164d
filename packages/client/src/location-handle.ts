import type { CallOptions } from "@connectrpc/connect";
import type { Event, GetLocationStatusResponse, RemoveLocationResponse, VerifyLocationResponse } from "@podium-router/proto";
import { resumingEventStream, type EventStreamOptions } from "./event-stream.js";
import type { RouterClient } from "./router-client.js";

/** The HTTP methods the router forwards. */
export type PodiumMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Per-call options of `LocationHandle.call()`. */
export interface LocationCallOptions extends CallOptions {
  /** A request id of your own (1 to 128 characters of [A-Za-z0-9._-]); the router generates one otherwise. */
  requestId?: string;
}

/** Podium's answer to a routed call. Upstream 4xx/5xx arrive here too; only router refusals throw. */
export interface LocationCallResult {
  /** The upstream HTTP status. */
  status: number;
  /** True for a 2xx status. */
  ok: boolean;
  /** The response body as text (JSON), empty when Podium sent none. */
  body: string;
  /** A safe subset of the upstream headers (content-type, rate-limit headers), lower-case names. */
  headers: Record<string, string>;
  /** The request id sent upstream and written to the audit line. */
  requestId: string;
  /** Time spent in the router, in milliseconds. */
  latencyMs: number;
  /** Parses `body` as JSON; `undefined` when the body is empty. Throws SyntaxError on other text. */
  json<T = unknown>(): T;
}

/**
 * Everything the router does for one location, bound to its uid: `client.location(uid)`.
 * Every method throws the core's typed errors (`UnknownLocationError`, `LocationRateLimitedError`, …).
 */
export interface LocationHandle {
  /** The location uid this handle is bound to. */
  readonly locationUid: string;
  /**
   * Forwards one Podium API call, e.g. `call("POST", "/v4/contacts", { name, locations: [uid] })`.
   * An object body is sent as JSON; a string is sent as is.
   */
  call(method: PodiumMethod, path: string, body?: unknown, options?: LocationCallOptions): Promise<LocationCallResult>;
  /** Checks the location is in its credential's scope; `force` skips the verification cache. */
  verify(options?: { force?: boolean } & CallOptions): Promise<VerifyLocationResponse>;
  /** The location's verification, budget and auth state. */
  status(options?: CallOptions): Promise<GetLocationStatusResponse>;
  /** Removes the location from the router's store and live routing. */
  remove(options?: CallOptions): Promise<RemoveLocationResponse>;
  /**
   * The location's Podium events, in order, from after `afterCursor`, then as they arrive; reconnects (from the
   * last event's cursor) when the stream ends or the connection fails, until `signal` aborts. Keep each event's
   * `cursor` once it is processed and pass it as `afterCursor` after a restart: delivery is at least once.
   */
  events(options?: EventStreamOptions): AsyncIterable<Event>;
}

/**
 * Creates the handle behind `RouterClient.location()`.
 * @internal
 */
export function createLocationHandle(client: RouterClient, locationUid: string): LocationHandle {
  return {
    locationUid,
    async call(method, path, body, options = {}) {
      const { requestId, ...callOptions } = options;
      const res = await client.call(
        { locationUid, method, path, body: bodyText(body), requestId: requestId ?? "" },
        callOptions,
      );
      return {
        status: res.status,
        ok: res.status >= 200 && res.status < 300,
        body: res.body,
        headers: { ...res.headers },
        requestId: res.requestId,
        latencyMs: res.latencyMs,
        json<T>(): T {
          return (res.body === "" ? undefined : JSON.parse(res.body)) as T;
        },
      };
    },
    async verify(options = {}) {
      const { force, ...callOptions } = options;
      return await client.verifyLocation({ locationUid, force: force ?? false }, callOptions);
    },
    async status(options) {
      return await client.getLocationStatus({ locationUid }, options);
    },
    async remove(options) {
      return await client.removeLocation({ locationUid }, options);
    },
    events(options) {
      return resumingEventStream(client, locationUid, options);
    },
  };
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return JSON.stringify(body);
}
