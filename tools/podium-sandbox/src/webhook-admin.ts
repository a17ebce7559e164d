/**
 * The admin routes of the webhook emitter (`/_sandbox/webhooks/*`, loopback only like the rest of the admin API):
 * raise an event by hand, read the delivery log and the queues, and change how deliveries are made.
 */
import type { RawBody, Reply } from "./http-io.js";
import { WebhookInputError, type WebhookDeliveryConfig, type WebhookEmitter } from "./webhook-emitter.js";

/** The prefix of the emitter's admin routes. */
export const WEBHOOK_ADMIN_PREFIX = "/_sandbox/webhooks";

const badRequest = (message: string): Reply => ({ status: 400, body: { error: message } });

/** Answers a `/_sandbox/webhooks/*` route, or undefined when the path is not one of them. */
export function handleWebhookAdmin(emitter: WebhookEmitter, method: string, path: string, search: string, raw: RawBody): Reply | undefined {
  const key = `${method} ${path.replace(/\/+$/, "")}`;
  const body = (): { ok: true; value: Record<string, unknown> } | { ok: false; reply: Reply } => {
    if (raw.tooLarge) return { ok: false, reply: badRequest("body too large") };
    try {
      const value: unknown = raw.text === null ? {} : JSON.parse(raw.text);
      if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, reply: badRequest("body must be an object") };
      return { ok: true, value: value as Record<string, unknown> };
    } catch {
      return { ok: false, reply: badRequest("body is not valid JSON") };
    }
  };
  try {
    switch (key) {
      case `POST ${WEBHOOK_ADMIN_PREFIX}/emit`: {
        const b = body();
        if (!b.ok) return b.reply;
        const { eventType, locationUid, data } = b.value;
        if (typeof eventType !== "string" || typeof locationUid !== "string") return badRequest("eventType and locationUid must be strings");
        return { status: 200, body: emitter.emit({ eventType, locationUid, ...(data === undefined ? {} : { data: data as Record<string, unknown> }) }) };
      }
      case `GET ${WEBHOOK_ADMIN_PREFIX}/deliveries`: {
        const since = new URLSearchParams(search).get("since");
        if (since !== null && !/^\d+$/.test(since)) return badRequest("since must be a non-negative integer");
        return { status: 200, body: { deliveries: emitter.deliveries(since === null ? 0 : Number(since)) } };
      }
      case `GET ${WEBHOOK_ADMIN_PREFIX}/queues`:
        return { status: 200, body: { queues: emitter.queues() } };
      case `GET ${WEBHOOK_ADMIN_PREFIX}/config`:
        return { status: 200, body: emitter.config() };
      case `PUT ${WEBHOOK_ADMIN_PREFIX}/config`: {
        const b = body();
        if (!b.ok) return b.reply;
        return { status: 200, body: emitter.setConfig(b.value as Partial<WebhookDeliveryConfig>) };
      }
      default:
        return path.startsWith(`${WEBHOOK_ADMIN_PREFIX}/`) || path === WEBHOOK_ADMIN_PREFIX ? { status: 404, body: { error: `no admin route ${method} ${path}` } } : undefined;
    }
  } catch (err) {
    if (err instanceof WebhookInputError) return badRequest(err.message);
    throw err;
  }
}
