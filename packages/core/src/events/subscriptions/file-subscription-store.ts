/**
 * Subscriptions for the file credential backend: one JSON document (0600) listing the subscriptions, and one
 * 0600 file per secret under `webhook-secrets/` beside it, the way refresh tokens sit beside the locations file.
 * Every write is atomic (temporary file, fsync, rename, directory fsync). One router process owns the files.
 */
import { mkdir, readFile, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { CredentialError } from "@podium-router/errors";
import { writeFileAtomic } from "../../util/index.js";
import { SUBSCRIPTION_ID_PATTERN, type SubscriptionStore, type SubscriptionWithSecret, type WebhookSubscription } from "./subscription-store.js";

const DOCUMENT_VERSION = 1;

/** Opens the file store at `path` (the subscriptions document); nothing is read until the first call. */
export function createFileSubscriptionStore(path: string): SubscriptionStore {
  const file = resolve(path);
  const secretsDir = join(dirname(file), "webhook-secrets");
  const secretFile = (id: string): string => {
    if (!SUBSCRIPTION_ID_PATTERN.test(id)) throw new CredentialError({}, "a subscription id in the subscriptions file is malformed");
    return join(secretsDir, `${id}.secret`);
  };
  let cache: Map<string, WebhookSubscription> | undefined;
  // Writes one at a time, each from the last written state.
  let queue: Promise<unknown> = Promise.resolve();

  /** The subscriptions; `fresh` reads the file again (another process, e.g. a second router on it, may have written). */
  async function load(fresh = false): Promise<Map<string, WebhookSubscription>> {
    if (cache !== undefined && !fresh) return cache;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return (cache = new Map());
      throw new CredentialError({ cause: err }, `cannot read the webhook subscriptions file ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    let doc: { version?: unknown; subscriptions?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new CredentialError({}, `the webhook subscriptions file ${file} is not JSON; restore it from a backup or remove it and run webhooks sync`);
    }
    if (doc.version !== DOCUMENT_VERSION || !Array.isArray(doc.subscriptions)) throw new CredentialError({}, `the webhook subscriptions file ${file} is not a version ${DOCUMENT_VERSION} document`);
    return (cache = new Map((doc.subscriptions as WebhookSubscription[]).map((s) => [s.subscriptionId, s])));
  }

  const save = async (next: Map<string, WebhookSubscription>): Promise<void> => {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, `${JSON.stringify({ version: DOCUMENT_VERSION, subscriptions: [...next.values()] }, null, 2)}\n`);
    cache = next;
  };

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    async list() {
      return [...(await load(true)).values()].map((s) => ({ ...s }));
    },
    async get(id) {
      if (!SUBSCRIPTION_ID_PATTERN.test(id)) return undefined;
      const subscription = (await load()).get(id) ?? (await load(true)).get(id);
      if (subscription === undefined) return undefined;
      let secret: string;
      try {
        secret = (await readFile(secretFile(id), "utf8")).trim();
      } catch (err) {
        throw new CredentialError({ locationUid: subscription.locationUid, cause: err }, `the secret file of webhook subscription ${id} cannot be read; run webhooks sync to issue a new one`);
      }
      return { subscription: { ...subscription }, secret } satisfies SubscriptionWithSecret;
    },
    put(subscription, secret) {
      return serial(async () => {
        // The secret first: a subscription listed without its secret would refuse every event.
        await mkdir(secretsDir, { recursive: true, mode: 0o700 });
        await writeFileAtomic(secretFile(subscription.subscriptionId), `${secret}\n`);
        await save(new Map(await load()).set(subscription.subscriptionId, { ...subscription }));
      });
    },
    remove(id) {
      return serial(async () => {
        const current = await load();
        if (!current.has(id)) return false;
        const next = new Map(current);
        next.delete(id);
        await save(next);
        await unlink(secretFile(id)).catch(() => undefined);
        return true;
      });
    },
    async close() {
      await queue;
      cache = undefined;
    },
  };
}
