/**
 * `webhooks sync`: one Podium webhook per location (or one per organization the operator granted), pointing at
 * `<public_url>/podium/webhooks/<subscription>`, signed with a secret the router generated. Idempotent and safe to
 * interrupt: the subscription and its secret are stored before Podium is asked to create the webhook, and each run
 * first lists the location's webhooks, so one created by an interrupted run is adopted (same URL) rather than
 * duplicated, and the router's stray webhooks for the location are deleted. Every Podium call goes through the
 * router's call pipeline with the location's own credential (and so leaves its own audit line); each location's
 * outcome is audited too, as `router:SyncWebhooks`.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  BadRequestError,
  isCoreError,
  LocationAuthError,
  LocationNotInScopeError,
  UnknownLocationError,
  UpstreamUnavailableError,
  type CoreError,
  type CoreErrorCode,
} from "@podium-router/errors";
import { newRequestId } from "../ids.js";
import type { CallContext, LocationRouterHandle } from "../router/index.js";
import type { EventsSettings } from "../settings/index.js";
import type { SubscriptionCache } from "./subscriptions/subscription-cache.js";
import { newSubscriptionId, type SubscriptionWithSecret, type WebhookSubscription } from "./subscriptions/subscription-store.js";

/** Where the receiver listens, under the router's public URL. */
export const WEBHOOK_PATH_PREFIX = "/podium/webhooks/";

/** What sync did for one location. */
export interface WebhookSyncResult {
  locationUid: string;
  /** created, repaired (URL, event types, secret or enabled state fixed), unchanged, removed, or failed. */
  outcome: "created" | "repaired" | "unchanged" | "removed" | "failed";
  subscriptionId?: string | undefined;
  podiumWebhookUid?: string | undefined;
  /** organization or location. */
  scope?: "location" | "organization" | undefined;
  errorCode?: CoreErrorCode | undefined;
  message: string;
}

/** What sync works on. */
export interface WebhookSyncRequest {
  /** The locations to sync; empty for every registered location (and to drop subscriptions of removed ones). */
  locationUids: readonly string[];
  /** The router's public URL (`server.public_url`), without a trailing slash. */
  publicUrl: string;
}

export interface WebhookSyncDeps {
  router: Pick<LocationRouterHandle, "auditGate" | "call" | "listLocations" | "peekLocation" | "recordAudit" | "verifyLocation">;
  subscriptions: SubscriptionCache;
  settings: Pick<EventsSettings, "eventTypes" | "organizationWebhooks">;
  now: () => number;
}

/** Podium's webhook object, the fields sync reads. */
interface PodiumWebhook {
  uid: string;
  url: string | null;
  secret: string | null;
  disabled: boolean;
  eventTypes: string[];
  locationUid: string | null;
  organizationUid: string | null;
}

/** Syncs the locations one at a time (Podium's budget is per credential; sync is an operator's occasional run). */
export async function* syncWebhooks(deps: WebhookSyncDeps, req: WebhookSyncRequest, ctx: CallContext): AsyncGenerator<WebhookSyncResult> {
  const { router, subscriptions } = deps;
  const all = req.locationUids.length === 0;
  const uids = all ? (await router.listLocations()).filter((l) => l.state === "active").map((l) => l.locationUid) : [...new Set(req.locationUids)];
  const orgDone = new Map<string, WebhookSyncResult>();
  for (const uid of uids) {
    const started = performance.now();
    let result: WebhookSyncResult;
    try {
      result = await syncOne(uid, orgDone);
    } catch (err) {
      const code = isCoreError(err) ? err.code : "ERR_LOC_INTERNAL";
      result = { locationUid: uid, outcome: "failed", errorCode: code, message: err instanceof Error ? err.message : String(err) };
    }
    audit(uid, started, result.errorCode);
    yield result;
  }
  if (!all) return;
  // Subscriptions whose location is gone (removed without the router's help): forget them and their secrets.
  for (const s of await subscriptions.list()) {
    if (router.peekLocation(s.locationUid) !== undefined) continue;
    const started = performance.now();
    // Kept while the audit log cannot take the removal's line; the next sync removes it.
    try {
      router.auditGate(s.locationUid, newRequestId());
    } catch (err) {
      const code = isCoreError(err) ? err.code : "ERR_LOC_INTERNAL";
      audit(s.locationUid, started, code);
      yield { locationUid: s.locationUid, outcome: "failed", errorCode: code, subscriptionId: s.subscriptionId, message: err instanceof Error ? err.message : String(err) };
      continue;
    }
    await subscriptions.remove(s.subscriptionId);
    audit(s.locationUid, started);
    yield {
      locationUid: s.locationUid,
      outcome: "removed",
      subscriptionId: s.subscriptionId,
      podiumWebhookUid: s.podiumWebhookUid,
      scope: s.scope,
      message: "the location is no longer registered: its subscription and secret were removed; Podium's webhook, if any, is refused from now on and Podium disables it",
    };
  }

  function audit(locationUid: string, started: number, errorCode?: string): void {
    void router.recordAudit({ subject: { kind: "rpc", rpc: "SyncWebhooks" }, locationUid, requestId: newRequestId(), startedAt: started, caller: ctx.caller, errorCode, status: errorCode ? 0 : 200 });
  }

  async function syncOne(uid: string, orgDone: Map<string, WebhookSyncResult>): Promise<WebhookSyncResult> {
    // A sync stores secrets and changes Podium's webhooks: nothing of it while the audit log cannot take its line.
    router.auditGate(uid, newRequestId());
    let rec = router.peekLocation(uid);
    if (rec === undefined) throw new UnknownLocationError({ locationUid: uid });
    if (rec.state === "deleted") throw new UnknownLocationError({ locationUid: uid }, "the location is marked deleted; remove it, or onboard it again");
    const orgScope = deps.settings.organizationWebhooks.includes(rec.orgSlug);
    if (orgScope) {
      const done = orgDone.get(rec.orgSlug);
      if (done !== undefined) return { ...done, locationUid: uid, outcome: done.outcome === "failed" ? "failed" : "unchanged", message: `covered by organization ${rec.orgSlug}'s webhook` };
      if (rec.organizationUid === undefined) {
        // The guard needs the location's organization to accept organizationUid: learn it.
        await router.verifyLocation(uid, { ctx });
        rec = router.peekLocation(uid) ?? rec;
      }
    }
    const existing = orgScope ? await subscriptions.forOrganization(rec.orgSlug) : await subscriptions.forLocation(uid);
    const at = new Date(deps.now()).toISOString();
    const sub: SubscriptionWithSecret = existing ?? {
      subscription: {
        subscriptionId: newSubscriptionId(randomBytes),
        scope: orgScope ? "organization" : "location",
        locationUid: uid,
        orgSlug: rec.orgSlug,
        organizationUid: orgScope ? rec.organizationUid : undefined,
        createdAt: at,
        updatedAt: at,
      },
      secret: randomBytes(32).toString("base64url"),
    };
    // An organization webhook is managed through one of its locations; a removed one hands over to this one.
    if (sub.subscription.locationUid !== uid && router.peekLocation(sub.subscription.locationUid) === undefined) sub.subscription = { ...sub.subscription, locationUid: uid };
    // Stored before Podium hears of it: an interrupted run leaves a webhook whose URL and secret the next run knows.
    if (existing === undefined) await subscriptions.put(sub.subscription, sub.secret);
    const result = await reconcile(uid, sub, req.publicUrl, at);
    if (orgScope) orgDone.set(rec.orgSlug, result);
    return result;
  }

  async function reconcile(uid: string, sub: SubscriptionWithSecret, publicUrl: string, at: string): Promise<WebhookSyncResult> {
    const s = sub.subscription;
    const url = `${publicUrl}${WEBHOOK_PATH_PREFIX}${s.subscriptionId}`;
    const prefix = `${publicUrl}${WEBHOOK_PATH_PREFIX}`;
    const mine = (await listWebhooks(uid)).filter((w) =>
      s.scope === "organization" ? w.organizationUid === s.organizationUid && w.locationUid === null : w.locationUid === uid,
    );
    const ours = mine.find((w) => w.uid === s.podiumWebhookUid) ?? mine.find((w) => w.url === url);
    // Webhooks of this router for this location other than the subscription's: left by an earlier public URL or run.
    for (const stray of mine) {
      if (stray !== ours && (stray.url?.startsWith(prefix) || stray.uid === s.podiumWebhookUid)) await podium(uid, "DELETE", `/v4/webhooks/${encodeURIComponent(stray.uid)}`);
    }
    const base = { locationUid: uid, subscriptionId: s.subscriptionId, scope: s.scope };
    const eventTypes = deps.settings.eventTypes;
    if (ours === undefined) {
      const scope = s.scope === "organization" ? { organizationUid: s.organizationUid } : { locationUid: uid };
      const made = await podium(uid, "POST", "/v4/webhooks", { url, eventTypes, secret: sub.secret, ...scope });
      const podiumWebhookUid = (made as { uid?: unknown }).uid;
      if (typeof podiumWebhookUid !== "string") throw new UpstreamUnavailableError({ locationUid: uid }, "Podium created the webhook but answered no uid");
      await subscriptions.put({ ...s, podiumWebhookUid, updatedAt: at }, sub.secret);
      return { ...base, outcome: "created", podiumWebhookUid, message: `webhook created for ${eventTypes.length} event types` };
    }
    const sameTypes = ours.eventTypes.length === eventTypes.length && eventTypes.every((t) => ours.eventTypes.includes(t));
    const fix: Record<string, unknown> = {};
    if (ours.url !== url) fix["url"] = url;
    if (!sameTypes) fix["eventTypes"] = eventTypes;
    if (ours.secret !== sub.secret) fix["secret"] = sub.secret;
    if (ours.disabled) fix["disabled"] = false;
    if (Object.keys(fix).length > 0) await podium(uid, "PUT", `/v4/webhooks/${encodeURIComponent(ours.uid)}`, fix);
    if (s.podiumWebhookUid !== ours.uid || s.locationUid !== uid) await subscriptions.put({ ...s, podiumWebhookUid: ours.uid, updatedAt: at }, sub.secret);
    const fixed = Object.keys(fix).join(", ");
    return Object.keys(fix).length > 0
      ? { ...base, outcome: "repaired", podiumWebhookUid: ours.uid, message: `webhook repaired (${fixed.replace("disabled", "re-enabled")})` }
      : { ...base, outcome: "unchanged", podiumWebhookUid: ours.uid, message: "webhook in place" };
  }

  /** Every page of GET /v4/webhooks through the location's credential. */
  async function listWebhooks(uid: string): Promise<PodiumWebhook[]> {
    const out: PodiumWebhook[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const body = (await podium(uid, "GET", cursor === undefined ? "/v4/webhooks?limit=100" : `/v4/webhooks?cursor=${encodeURIComponent(cursor)}`, undefined, true)) as { data?: unknown; metadata?: { nextCursor?: unknown } };
      if (Array.isArray(body.data)) out.push(...(body.data as PodiumWebhook[]));
      const next = body.metadata?.nextCursor;
      if (typeof next !== "string" || next === "") break;
      cursor = next;
    }
    return out;
  }

  /**
   * The call context for a location's sync calls: an organization webhook is organization-level, and the operator's
   * `events.organization_webhooks` is its organization grant (the caller's own key cannot widen it).
   */
  function grantFor(uid: string): CallContext {
    const rec = router.peekLocation(uid);
    return rec !== undefined && deps.settings.organizationWebhooks.includes(rec.orgSlug) ? { ...ctx, organizations: [rec.orgSlug] } : { ...ctx, organizations: undefined };
  }

  /** One routed call; a non-2xx answer fails the location's sync with Podium's status. */
  async function podium(uid: string, method: string, path: string, body?: unknown, whole = false): Promise<unknown> {
    const res = await router.call({ locationUid: uid, method, path, body: body === undefined ? undefined : JSON.stringify(body) }, grantFor(uid));
    if (res.status < 200 || res.status >= 300) throw podiumRefusal(uid, res.status, res.requestId, `${method} ${path.split("?")[0]}`);
    const parsed: unknown = res.body === "" ? {} : JSON.parse(res.body);
    return whole ? parsed : ((parsed as { data?: unknown }).data ?? {});
  }
}

/** Podium's non-2xx answer to a sync call, as the error an operator acts on. */
function podiumRefusal(locationUid: string, status: number, requestId: string, what: string): CoreError {
  const ctx = { locationUid, requestId, upstreamStatus: status };
  const detail = `Podium answered ${status} to ${what}`;
  if (status === 401) return new LocationAuthError(ctx, detail);
  if (status === 403) return new LocationNotInScopeError(ctx, `${detail}: the location's credential lacks the location or the read scope of a subscribed event type (events.event_types)`);
  if (status >= 500 || status === 429) return new UpstreamUnavailableError(ctx, detail);
  return new BadRequestError(ctx, detail);
}

/** The subscription of a location being removed: delete its Podium webhook (best effort) and forget it. */
export async function unsubscribeLocation(deps: Pick<WebhookSyncDeps, "router" | "subscriptions">, locationUid: string, ctx: CallContext): Promise<WebhookSubscription | undefined> {
  const found = await deps.subscriptions.forLocation(locationUid);
  if (found === undefined) return undefined;
  const s = found.subscription;
  if (s.podiumWebhookUid !== undefined) {
    try {
      // An organization webhook is organization-level: the subscription's own scope is its grant.
      const callCtx: CallContext = s.scope === "organization" ? { ...ctx, organizations: [s.orgSlug] } : ctx;
      await deps.router.call({ locationUid, method: "DELETE", path: `/v4/webhooks/${encodeURIComponent(s.podiumWebhookUid)}` }, callCtx);
    } catch {
      // The location may already be unusable (deleted, credential revoked): its events are refused from now on.
    }
  }
  await deps.subscriptions.remove(s.subscriptionId);
  return s;
}
