import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { handleAdmin, type SandboxAdmin, type SandboxStats } from "./admin-api.js";
import { ContactStore } from "./contact-store.js";
import { mergeFaults, noFaults, validateFaults, type Faults, type RateLimitConfig, type ResolvedFaults } from "./faults.js";
import type { SandboxFixture } from "./fixture.js";
import { buildFixtureView, describeGrant, type SandboxFixtureView } from "./fixture-view.js";
import { defaultFixture } from "./fixtures/default-fixture.js";
import { headerValue, isLoopback, readBody, readMultipart, writeReply, type MultipartBody, type Reply } from "./http-io.js";
import { createLedger, DEFAULT_LEDGER_CAPACITY, DEFAULT_LEDGER_RESOURCE_CAPACITY, type LedgerEntry } from "./ledger.js";
import { authorize, handleAuthorize, handleToken, type AuthorizeParams, type AuthorizeResult } from "./oauth-handlers.js";
import { podiumError } from "./podium-error.js";
import { createRateLimiter } from "./rate-limiter.js";
import { NO_RESOURCES, type ResourceChangeListener } from "./resource-access.js";
import { loadResourceSeed } from "./resource-seed.js";
import { SandboxModel, type AddedGrant, type AddGrantInput } from "./sandbox-model.js";
import { createResources } from "./sandbox-resources.js";
import type { SandboxState } from "./sandbox-state.js";
import { TokenStore } from "./token-store.js";
import { handleV4, type IncomingPodiumRequest, type LedgerDraft } from "./v4-pipeline.js";
import { handleWebhookAdmin, WEBHOOK_ADMIN_PREFIX } from "./webhook-admin.js";
import { createWebhookEmitter, type EmitEventInput, type EmittedEvent, type WebhookDelivery, type WebhookDeliveryConfig, type WebhookEmitter, type WebhookQueueState } from "./webhook-emitter.js";

/** Options of `createSandbox()`. Fault-like options set the baseline that `resetFaults()` returns to. */
export interface SandboxOptions {
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Seed data. @default defaultFixture */
  fixture?: SandboxFixture;
  /** Initial faults (merged over the defaults and the options below). @default none */
  faults?: Faults;
  /** Refresh-token rotation (a new refresh token per refresh, the old one refused). @default false */
  rotateRefreshTokens?: boolean;
  /** `expires_in` of access tokens. @default 36000 */
  accessTokenTtlSeconds?: number;
  /** The rate limit, or false to disable it (tests, benchmarks). @default { perMinute: 300, key: "token", headers: false } */
  rateLimit?: Partial<RateLimitConfig> | false;
  /** Status for GET/PATCH /v4/locations/{uid} outside the token's grant. @default 403 */
  foreignLocationStatus?: 403 | 404;
  /** Ledger ring-buffer size; the oldest entries are dropped beyond it. @default 200000 */
  ledgerCapacity?: number;
  /** Resource accesses kept across all ledger entries; the oldest entries are dropped beyond it. @default 1000000 */
  ledgerResourceCapacity?: number;
  /** Lifetime of authorization codes. @default 60 */
  authorizationCodeTtlSeconds?: number;
  /** Clock (epoch ms), so tests can expire tokens or refill buckets without waiting. @default Date.now */
  now?: () => number;
  /** How webhooks are delivered (retries, backoff, timeout, signature encoding, hosts). @default DEFAULT_WEBHOOK_DELIVERY */
  webhooks?: Partial<WebhookDeliveryConfig>;
}

/** A running sandbox: its address, its admin methods (mirroring `/_sandbox/*`) and `close()`. */
export interface Sandbox extends SandboxAdmin {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The current orgs, grants (client ids, secrets, current refresh tokens) and locations; a fresh copy per read. */
  readonly fixture: SandboxFixtureView;
  /** Entries with seq greater than `sinceSeq`, oldest first. */
  ledger(sinceSeq?: number): LedgerEntry[];
  /** Forget the ledger (seq keeps counting); returns how many entries were dropped. */
  clearLedger(): number;
  /** Merge a patch into the current faults; `expireAllTokens: true` expires every token issued so far. */
  setFaults(patch: Faults): ResolvedFaults;
  /** Return to the faults the sandbox started with. */
  resetFaults(): ResolvedFaults;
  faults(): ResolvedFaults;
  /** Create locations and a grant over them (cheap enough for thousands). */
  addGrant(input: AddGrantInput): AddedGrant;
  stats(): SandboxStats;
  /** Consent without a browser: the code and redirect URL GET /oauth/authorize would produce. */
  authorizeCode(params: AuthorizeParams): AuthorizeResult;
  /** Mint an access token for a grant without a refresh (not counted in stats, not in the ledger). */
  issueAccessToken(grantId: string): { accessToken: string; accessTokenId: string; expiresIn: number };
  /**
   * Be told of every resource write (one `ResourceChange` per resource created, updated or deleted), e.g. to
   * emit Podium webhooks. Returns a function that stops the listener. A listener must not throw.
   */
  onResourceChange(listener: ResourceChangeListener): () => void;
  /** Raise a webhook event by hand (calls, inbound messages, new reviews: what no API write raises). */
  emitEvent(input: EmitEventInput): EmittedEvent;
  /** Every webhook delivery attempt with seq greater than `sinceSeq`, oldest first. */
  webhookDeliveries(sinceSeq?: number): WebhookDelivery[];
  /** Each webhook's queue: events waiting, failed attempts at its head, disabled. */
  webhookQueues(): WebhookQueueState[];
  webhookConfig(): WebhookDeliveryConfig;
  /** Change how webhooks are delivered (merged into the current config). */
  setWebhookConfig(patch: Partial<WebhookDeliveryConfig>): WebhookDeliveryConfig;
  /** Resolves true once no enabled webhook has an event waiting, false if `timeoutMs` passes first. */
  settleWebhooks(timeoutMs?: number): Promise<boolean>;
  /**
   * Resolves true once no client connection is open and no request is being answered, false if `timeoutMs`
   * passes first: after a client process died, every request it had sent has then been answered (and is in
   * the ledger), e.g. a refresh that rotated its grant's token.
   */
  settleRequests(timeoutMs?: number): Promise<boolean>;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

const DEFAULT_AUTH_CODE_TTL_SECONDS = 60;
// Longer than undici's default keep-alive (4 s) and the router's 30 s, so pooled sockets are rarely cut.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Start a Podium API simulator on 127.0.0.1 (port 0 unless told) seeded from a fixture. */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const baselinePatch: Faults = { ...(options.faults === undefined ? {} : validateFaults(options.faults)) };
  if (options.rotateRefreshTokens !== undefined) baselinePatch.rotateRefreshTokens = options.rotateRefreshTokens;
  if (options.accessTokenTtlSeconds !== undefined) baselinePatch.accessTokenTtlSeconds = options.accessTokenTtlSeconds;
  if (options.rateLimit !== undefined) baselinePatch.rateLimit = options.rateLimit;
  if (options.foreignLocationStatus !== undefined) baselinePatch.foreignLocationStatus = options.foreignLocationStatus;
  const baseline = mergeFaults(noFaults, validateFaults(baselinePatch));
  const tokens = new TokenStore();
  const fixture = options.fixture ?? defaultFixture;
  const state: SandboxState = {
    model: new SandboxModel(fixture, tokens),
    tokens,
    contacts: new ContactStore(),
    resources: createResources(),
    changeListeners: new Set(),
    ledger: createLedger(options.ledgerCapacity ?? DEFAULT_LEDGER_CAPACITY, options.ledgerResourceCapacity ?? DEFAULT_LEDGER_RESOURCE_CAPACITY),
    limiter: createRateLimiter(),
    faults: baseline,
    deleted: new Set(baseline.deletedLocations),
    revoked: new Set(baseline.revokedGrants),
    stats: { requests: 0, tokenRefreshes: new Map() },
    now: options.now ?? Date.now,
    baseUrl: "",
    authorizationCodeTtlMs: (options.authorizationCodeTtlSeconds ?? DEFAULT_AUTH_CODE_TTL_SECONDS) * 1000,
  };
  if (fixture.resources !== undefined) loadResourceSeed(state, fixture.resources);
  const emitter = createWebhookEmitter(state, options.webhooks);
  state.changeListeners.add((change) => emitter.onChange(change));
  const applyFaults = (next: ResolvedFaults, patch: Faults): ResolvedFaults => {
    if (patch.expireAllTokens === true) state.tokens.expireAll();
    if (patch.rateLimit !== undefined) state.limiter.reset();
    state.faults = next;
    state.deleted = new Set(next.deletedLocations);
    state.revoked = new Set(next.revokedGrants);
    return snapshot(next);
  };

  let sandbox: Sandbox | undefined;
  /** Requests being answered and connections open, for settleRequests(). */
  let answering = 0;
  let connections = 0;
  const server = createServer({ noDelay: true }, (req, res) => {
    answering++;
    onRequest(state, sandbox as Sandbox, emitter, req, res)
      .catch((err: unknown) => {
        // Only reading the body can fail here (client gone); there is nobody left to answer.
        if (!res.headersSent) res.destroy(err instanceof Error ? err : undefined);
      })
      .finally(() => answering--);
  });
  server.on("connection", (socket) => {
    connections++;
    socket.once("close", () => connections--);
  });
  // Set as properties: the createServer option for keepAliveTimeout is newer than Node 20.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  state.baseUrl = url;

  let closing: Promise<void> | undefined;
  sandbox = {
    url,
    port,
    host,
    get fixture() {
      return buildFixtureView(state.model, state.deleted, fixture.resources);
    },
    ledger: (sinceSeq) => state.ledger.entries(sinceSeq),
    clearLedger: () => state.ledger.clear(),
    addGrant: (input) => describeGrant(state.model, state.model.createGrant(input).grant),
    faults: () => snapshot(state.faults),
    setFaults: (patch) => applyFaults(mergeFaults(state.faults, validateFaults(patch)), patch),
    resetFaults: () => {
      state.limiter.reset();
      return applyFaults(baseline, {});
    },
    stats: () => ({ tokenRefreshes: Object.fromEntries(state.stats.tokenRefreshes), requests: state.stats.requests }),
    authorizeCode: (params) => authorize(state, params),
    issueAccessToken: (grantId) => {
      const grant = state.model.grants.get(grantId);
      if (grant === undefined) throw new Error(`unknown grant ${grantId}`);
      const rec = state.tokens.issueAccess(grant, grant.clientId, state.faults.accessTokenTtlSeconds, state.now());
      return { accessToken: rec.token, accessTokenId: rec.id, expiresIn: state.faults.accessTokenTtlSeconds };
    },
    onResourceChange: (listener) => {
      state.changeListeners.add(listener);
      return () => void state.changeListeners.delete(listener);
    },
    emitEvent: (input) => emitter.emit(input),
    webhookDeliveries: (sinceSeq) => emitter.deliveries(sinceSeq),
    webhookQueues: () => emitter.queues(),
    webhookConfig: () => emitter.config(),
    setWebhookConfig: (patch) => emitter.setConfig(patch),
    settleWebhooks: (timeoutMs = 10_000) => emitter.settle(timeoutMs),
    settleRequests: async (timeoutMs = 10_000) => {
      // One turn of the event loop first, so what already arrived on a socket has been read.
      await new Promise((r) => setImmediate(r));
      for (const end = Date.now() + timeoutMs; connections > 0 || answering > 0; ) {
        if (Date.now() >= end) return false;
        await new Promise((r) => setTimeout(r, 5));
      }
      return true;
    },
    close: () => {
      emitter.close();
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
  return sandbox;
}

async function onRequest(state: SandboxState, admin: SandboxAdmin, emitter: WebhookEmitter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const search = q < 0 ? "" : rawUrl.slice(q + 1);
  const method = req.method ?? "GET";
  if (path.startsWith("/_sandbox/")) {
    const raw = await readBody(req);
    const loopback = isLoopback(req.socket.remoteAddress);
    const webhookReply = loopback && path.startsWith(WEBHOOK_ADMIN_PREFIX) ? handleWebhookAdmin(emitter, method, path, search, raw) : undefined;
    const reply = !loopback ? { status: 403, body: { error: "the admin API answers loopback clients only" } } : (webhookReply ?? handleAdmin(admin, method, path, search, raw));
    writeReply(res, reply);
    return;
  }
  state.stats.requests++;
  // Every field in ledger order up front, so entries serialise alike and share one hidden class.
  const entry: LedgerDraft = { seq: 0, ts: "", method, path, route: path, status: 0, locationUids: [], resources: NO_RESOURCES };
  const requestId = headerValue(req, "x-request-id");
  if (requestId !== undefined) entry.requestId = requestId;
  const podiumVersion = headerValue(req, "podium-version");
  if (podiumVersion !== undefined) entry.podiumVersion = podiumVersion;
  const raw = await readBody(req);
  if (state.faults.latencyMs > 0) await delay(state.faults.latencyMs);
  const isV4 = path.startsWith("/v4/");
  const contentType = headerValue(req, "content-type") ?? "";
  let form: MultipartBody | null | undefined;
  if (isV4 && raw.bytes !== null && contentType.startsWith("multipart/")) form = (await readMultipart(contentType, raw.bytes)) ?? null;
  const incoming: IncomingPodiumRequest = { req, method, path, search, raw, form, entry };
  let reply: Reply;
  try {
    if (isV4 && state.faults.resetRate > 0 && Math.random() < state.faults.resetRate) {
      entry.fault = "reset";
      // Record first: the point is that the client sees a dropped connection, not that we forget it.
      record(state, entry, { status: 0 });
      req.socket.destroy();
      return;
    }
    if (path === "/oauth/token" && method === "POST") reply = handleToken(state, incoming);
    else if (path === "/oauth/authorize" && method === "GET") reply = handleAuthorize(state, incoming);
    else if (isV4) reply = handleV4(state, incoming);
    else reply = { status: 404, body: podiumError("route_not_found", "no Route matched with those values"), errorCode: "route_not_found" };
  } catch (err) {
    // A bug in a handler: answer as Podium's 500 so clients exercise that path, and keep serving.
    reply = { status: 500, body: podiumError("internal_server_error", `sandbox error: ${(err as Error).message}`), errorCode: "internal_server_error" };
  }
  record(state, entry, reply);
  writeReply(res, reply);
}

/** A copy callers may change without touching the sandbox's state. */
function snapshot(f: ResolvedFaults): ResolvedFaults {
  return { ...f, revokedGrants: [...f.revokedGrants], deletedLocations: [...f.deletedLocations], rateLimit: f.rateLimit === false ? false : { ...f.rateLimit } };
}

function record(state: SandboxState, entry: LedgerDraft, reply: { status: number; errorCode?: string }): void {
  entry.status = reply.status;
  if (reply.errorCode !== undefined) entry.errorCode = reply.errorCode;
  entry.ts = new Date(state.now()).toISOString();
  state.ledger.append(entry);
}
