import type { ContactStore } from "./contact-store.js";
import type { ResolvedFaults } from "./faults.js";
import type { Ledger } from "./ledger.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { ResourceChangeListener } from "./resource-access.js";
import type { SandboxResources } from "./sandbox-resources.js";
import type { SandboxModel } from "./sandbox-model.js";
import type { TokenStore } from "./token-store.js";

/** Everything a handler may read or change; one per sandbox. @internal */
export interface SandboxState {
  model: SandboxModel;
  tokens: TokenStore;
  contacts: ContactStore;
  /** Every other kind of resource, one store each. */
  resources: SandboxResources;
  /** Told of every write (the seam a webhook emitter will use). */
  changeListeners: Set<ResourceChangeListener>;
  ledger: Ledger;
  limiter: RateLimiter;
  faults: ResolvedFaults;
  /** Derived from faults, for O(1) checks on the request path. */
  deleted: ReadonlySet<string>;
  revoked: ReadonlySet<string>;
  stats: { requests: number; tokenRefreshes: Map<string, number> };
  /** Epoch ms; injectable so tests can move time. */
  now: () => number;
  /** `http://host:port`, filled once listening; used in `metadata.url`. */
  baseUrl: string;
  authorizationCodeTtlMs: number;
}

/** Podium's API version, sent in every `metadata.version` and the only accepted `podium-version`. */
export const PODIUM_VERSION = "2021.04.01";

/** `metadata` of a single-object answer. */
export function singleMetadata(state: SandboxState, path: string): { url: string; version: string } {
  return { url: `${state.baseUrl}${path}`, version: PODIUM_VERSION };
}

/** The sandbox clock as ISO 8601 UTC. */
export function isoNow(state: SandboxState): string {
  return new Date(state.now()).toISOString();
}
