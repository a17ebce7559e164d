import { WEBHOOK_PATH_PREFIX, type EventHub, type WebhookAnswer } from "@podium-router/core";
import type { Logger } from "pino";
import type { NodeRequest, NodeResponse } from "./http-handler.js";

/** What {@link createWebhookReceiver} needs. */
export interface WebhookReceiverDeps {
  events: Pick<EventHub, "receive" | "maxBodyBytes">;
  logger: Logger;
}

// Podium's subscription ids are `sub_` and 22 url-safe characters; anything longer is not worth reading.
const SUBSCRIPTION = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `POST /podium/webhooks/{subscription}` on the router's port: Podium's webhook deliveries. No API key: the
 * subscription's secret, which signs every request, authenticates it (the core checks it, the timestamp window,
 * the event's location, then stores it durably before this answers). The body is read only up to
 * `events.max_body_bytes`: a larger one is refused (413) without reading the rest, and on HTTP/1.1 the connection
 * is closed. The answer is small JSON: `{received: true}` or `{code, message}`, never an echo of the request; a
 * refusal Podium should retry later (503, 429) says when in `Retry-After`.
 */
export function createWebhookReceiver(deps: WebhookReceiverDeps): (req: NodeRequest, res: NodeResponse) => void {
  const { events, logger } = deps;
  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    // Not a possible subscription id: the core answers it as an unknown subscription (counted, not audited).
    const subscriptionId = decodeSegment(path.slice(WEBHOOK_PATH_PREFIX.length)) ?? "";
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST", "content-type": "application/json" });
      res.end(JSON.stringify({ code: "ERR_LOC_BAD_REQUEST", message: "Podium posts its webhooks; only POST is served here" }));
      return;
    }
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const base = { subscriptionId, timestamp: header("podium-timestamp"), signature: header("podium-signature") };
    const declared = Number(req.headers["content-length"] ?? 0);
    const answer = (a: WebhookAnswer, close: boolean): void => {
      if (res.headersSent || res.destroyed) return;
      const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
      // An HTTP/1.1 body left unread must not be taken for the next request on the connection.
      if (close && !("stream" in req)) headers["connection"] = "close";
      // Whole seconds (RFC 9110 §10.2.3), never 0: "now" would invite a retry storm against a recovering router.
      if (a.retryAfterMs !== undefined) headers["retry-after"] = String(Math.max(1, Math.ceil(a.retryAfterMs / 1000)));
      res.writeHead(a.status, headers);
      res.end(JSON.stringify(a.body));
    };
    const receive = (body: string | undefined, close: boolean): void => {
      events.receive({ ...base, body }).then(
        (a) => answer(a, close),
        (err: unknown) => {
          logger.error({ err }, "webhook receiver failed");
          answer({ status: 500, body: { code: "ERR_LOC_INTERNAL", message: "the router failed to take the event; Podium will retry it" } }, close);
        },
      );
    };
    if (declared > events.maxBodyBytes) return receive(undefined, true);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > events.maxBodyBytes) {
        over = true;
        chunks.length = 0;
        req.pause();
        receive(undefined, true);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!over) receive(Buffer.concat(chunks).toString("utf8"), false);
    });
    req.on("error", () => undefined);
  };
}

/** The subscription id segment, or undefined when it cannot be one (empty, nested, or of other characters). */
function decodeSegment(segment: string): string | undefined {
  return SUBSCRIPTION.test(segment) ? segment : undefined;
}
