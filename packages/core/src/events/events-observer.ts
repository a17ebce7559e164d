/**
 * Hooks the server turns into Prometheus metrics. No hook carries a location uid, so every label set stays
 * bounded: outcomes are "stored", "duplicate" or an ERR_LOC_* code; channels are "stream" and "forwarder".
 */
export interface EventsObserver {
  /** One webhook request answered: stored, duplicate, or refused with its code. */
  received?(outcome: string): void;
  /** Time from the request's body to its answer, in ms (stored events: including the durable commit). */
  receiveLatency?(ms: number): void;
  /** One event handed to a subscriber: a WatchEvents stream, or the HTTP forwarder (2xx). */
  delivered?(channel: "stream" | "forwarder"): void;
  /** A forwarded event was given up on after its last attempt. */
  deadLettered?(): void;
  /** WatchEvents streams open now changed by delta. */
  streams?(delta: number): void;
}
