/**
 * The subscriptions the receiver checks every webhook against, in memory. A miss reloads from the store (another
 * replica's sync may have added one), at most once per `reloadIntervalMs`, so requests for made-up subscription
 * ids cannot turn into a query each.
 */
import type { SubscriptionStore, SubscriptionWithSecret, WebhookSubscription } from "./subscription-store.js";

/** A cache over a SubscriptionStore. */
export interface SubscriptionCache {
  lookup(subscriptionId: string): Promise<SubscriptionWithSecret | undefined>;
  /** The subscription of a location (scope location), if any. */
  forLocation(locationUid: string): Promise<SubscriptionWithSecret | undefined>;
  /** The organization subscription of an org slug, if any. */
  forOrganization(orgSlug: string): Promise<SubscriptionWithSecret | undefined>;
  list(): Promise<WebhookSubscription[]>;
  put(subscription: WebhookSubscription, secret: string): Promise<void>;
  remove(subscriptionId: string): Promise<boolean>;
}

export function createSubscriptionCache(store: SubscriptionStore, reloadIntervalMs = 1_000, now: () => number = Date.now): SubscriptionCache {
  let byId: Map<string, SubscriptionWithSecret> | undefined;
  // When a miss last reloaded; the start-up load does not count, so the first miss after it always looks again.
  let missReloadAt = Number.NEGATIVE_INFINITY;
  let loading: Promise<Map<string, SubscriptionWithSecret>> | undefined;

  const load = (): Promise<Map<string, SubscriptionWithSecret>> => {
    loading ??= (async () => {
      const next = new Map<string, SubscriptionWithSecret>();
      for (const s of await store.list()) {
        const full = await store.get(s.subscriptionId);
        if (full !== undefined) next.set(s.subscriptionId, full);
      }
      byId = next;
      return next;
    })().finally(() => (loading = undefined));
    return loading;
  };
  const current = async (): Promise<Map<string, SubscriptionWithSecret>> => byId ?? (await load());
  const find = async (match: (s: WebhookSubscription) => boolean): Promise<SubscriptionWithSecret | undefined> => {
    for (const entry of (await current()).values()) if (match(entry.subscription)) return entry;
    return undefined;
  };

  return {
    async lookup(id) {
      const hit = (await current()).get(id);
      if (hit !== undefined || now() - missReloadAt < reloadIntervalMs) return hit;
      missReloadAt = now();
      return (await load()).get(id);
    },
    forLocation: (uid) => find((s) => s.scope === "location" && s.locationUid === uid),
    forOrganization: (slug) => find((s) => s.scope === "organization" && s.orgSlug === slug),
    async list() {
      return [...(await current()).values()].map((e) => ({ ...e.subscription }));
    },
    async put(subscription, secret) {
      await store.put(subscription, secret);
      (await current()).set(subscription.subscriptionId, { subscription: { ...subscription }, secret });
    },
    async remove(id) {
      const removed = await store.remove(id);
      (await current()).delete(id);
      return removed;
    },
  };
}
