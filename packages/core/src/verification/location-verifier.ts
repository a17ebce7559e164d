import { LocationDeletedError, LocationNotInScopeError } from "@podium-router/errors";
import type { CoreError } from "@podium-router/errors";
import type { ListedLocation } from "./location-listing.js";
import { SingleFlight } from "../util/index.js";

export { getLocationStatus, listAllLocations } from "./location-listing.js";
export type { ListedLocation, ListingCredential } from "./location-listing.js";

/** One location to verify, with the calls that reach Podium with THIS location's credential. */
export interface VerifyTarget {
  locationUid: string;
  /** Locations sharing one grant (same OAuth client + same refresh-token file) share one listing. */
  grantKey: string;
  /** GET /v4/locations through every page with this location's credential: uid → organizationUid. */
  listLocations: (signal?: AbortSignal) => Promise<Map<string, ListedLocation>>;
  /** GET /v4/locations/{uid} with this location's credential. */
  getLocation: (signal?: AbortSignal) => Promise<"ok" | "not_found" | "forbidden">;
}

export interface VerifyOutcome {
  /** Epoch ms of the listing that proved the location in scope. */
  verifiedAt: number;
  /** True when answered without asking Podium (this location's or its grant's cached listing). */
  cached: boolean;
  organizationUid?: string | undefined;
  /** Podium's name of the location, from the listing. */
  name?: string | undefined;
}

export type VerificationState = "unverified" | "verified" | "not_in_scope" | "deleted";

/** Pre-flight verification: is this location in its own credential's GET /v4/locations? */
export interface LocationVerifier {
  /** Resolves when verified (cached within TTL unless force); throws LocationNotInScopeError or LocationDeletedError. */
  verify(target: VerifyTarget, opts?: { force?: boolean | undefined; signal?: AbortSignal | undefined }): Promise<VerifyOutcome>;
  /** What the cache knows, without asking Podium; an expired entry reads "unverified". */
  peek(locationUid: string): { state: VerificationState; verifiedAt?: number; expiresAt?: number };
  /** Drops the location's cache entry (e.g. on removal). */
  forget(locationUid: string): void;
}

export interface LocationVerifierOptions {
  /** How long a successful verification (and a grant's listing) is trusted; settings `verification.ttl_seconds`. */
  ttlMs: number;
  /** How long a negative answer is cached. @default min(ttlMs, NEGATIVE_TTL_MS) */
  negativeTtlMs?: number | undefined;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: (() => number) | undefined;
}

/**
 * A flood of calls for an out-of-scope location costs Podium two requests per 30 s, and a location the
 * operator has just re-authorized is retried within half a minute, not after the full TTL.
 */
export const NEGATIVE_TTL_MS = 30_000;

interface Entry {
  state: "verified" | "not_in_scope" | "deleted";
  grantKey: string;
  expiresAt: number;
  verifiedAt?: number | undefined;
  organizationUid?: string | undefined;
  name?: string | undefined;
}

interface Listing {
  at: number;
  uids: Map<string, ListedLocation>;
}

/** Creates the verifier; one per router. Never one global lock: flights are per location and per grant. */
export function createLocationVerifier(options: LocationVerifierOptions): LocationVerifier {
  return new CachingLocationVerifier(options);
}

class CachingLocationVerifier implements LocationVerifier {
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #listings = new Map<string, Listing>();
  readonly #locationFlights = new SingleFlight<string, VerifyOutcome>();
  readonly #grantFlights = new SingleFlight<string, Listing>();

  constructor(options: LocationVerifierOptions) {
    this.#ttlMs = options.ttlMs;
    this.#negativeTtlMs = options.negativeTtlMs ?? Math.min(options.ttlMs, NEGATIVE_TTL_MS);
    this.#now = options.now ?? Date.now;
  }

  async verify(target: VerifyTarget, opts: { force?: boolean | undefined; signal?: AbortSignal | undefined } = {}): Promise<VerifyOutcome> {
    const uid = target.locationUid;
    const force = opts.force ?? false;
    if (!force) {
      const entry = this.#entries.get(uid);
      if (entry !== undefined && this.#now() < entry.expiresAt) {
        if (entry.state !== "verified") throw negativeError(entry.state, uid, "cached");
        return { verifiedAt: entry.verifiedAt ?? entry.expiresAt - this.#ttlMs, cached: true, organizationUid: entry.organizationUid, name: entry.name };
      }
    }
    return this.#locationFlights.run(uid, (signal) => this.#check(target, force, signal), opts.signal, { locationUid: uid });
  }

  peek(locationUid: string): { state: VerificationState; verifiedAt?: number; expiresAt?: number } {
    const entry = this.#entries.get(locationUid);
    if (entry === undefined) return { state: "unverified" };
    const state = this.#now() < entry.expiresAt ? entry.state : "unverified";
    return entry.verifiedAt === undefined ? { state, expiresAt: entry.expiresAt } : { state, verifiedAt: entry.verifiedAt, expiresAt: entry.expiresAt };
  }

  forget(locationUid: string): void {
    this.#entries.delete(locationUid);
  }

  async #check(target: VerifyTarget, force: boolean, signal: AbortSignal): Promise<VerifyOutcome> {
    const uid = target.locationUid;
    let cached = false;
    let listing: Listing | undefined;
    if (!force) {
      // Another location of the same grant listed recently: that listing answers for this one too.
      const shared = this.#listings.get(target.grantKey);
      if (shared !== undefined && this.#now() < shared.at + this.#ttlMs && shared.uids.has(uid)) {
        listing = shared;
        cached = true;
      }
    }
    // A cached listing without the uid may predate the grant gaining it: only a fresh one may say no.
    listing ??= await this.#grantFlights.run(target.grantKey, (s) => this.#list(target, s), signal, { locationUid: uid });
    const seen = listing.uids.get(uid);
    if (seen !== undefined) {
      this.#recordVerified(uid, target.grantKey, listing.at, seen);
      return { verifiedAt: listing.at, cached, organizationUid: seen.organizationUid, name: seen.name };
    }
    const status = await target.getLocation(signal);
    const state = status === "not_found" ? "deleted" : "not_in_scope";
    this.#entries.set(uid, { state, grantKey: target.grantKey, expiresAt: this.#now() + this.#negativeTtlMs });
    throw negativeError(state, uid, status);
  }

  async #list(target: VerifyTarget, signal: AbortSignal): Promise<Listing> {
    // Timed from the start: the answer is at least this old when it arrives.
    const at = this.#now();
    const uids = await target.listLocations(signal);
    const listing = { at, uids };
    this.#listings.set(target.grantKey, listing);
    // One listing verifies every location we know on this grant, not just the one that asked.
    for (const [uid, entry] of this.#entries) {
      const seen = uids.get(uid);
      if (entry.grantKey === target.grantKey && seen !== undefined) this.#recordVerified(uid, target.grantKey, at, seen);
    }
    return listing;
  }

  #recordVerified(uid: string, grantKey: string, at: number, seen: ListedLocation): void {
    this.#entries.set(uid, { state: "verified", grantKey, verifiedAt: at, expiresAt: at + this.#ttlMs, organizationUid: seen.organizationUid, name: seen.name });
  }
}

function negativeError(state: "not_in_scope" | "deleted", locationUid: string, why: string): CoreError {
  if (state === "deleted") {
    return new LocationDeletedError({ locationUid, upstreamStatus: why === "cached" ? undefined : 404 }, `Podium answered 404 for location ${locationUid}${why === "cached" ? " (cached)" : ""}`);
  }
  const detail =
    why === "forbidden"
      ? `location ${locationUid} is absent from its credential's GET /v4/locations and Podium answered 403 for it`
      : `location ${locationUid} is absent from its credential's GET /v4/locations${why === "cached" ? " (cached)" : ""}`;
  return new LocationNotInScopeError({ locationUid, upstreamStatus: why === "forbidden" ? 403 : undefined }, detail);
}
