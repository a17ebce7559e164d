import { unlink } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { type CredentialStore, type LocationRecord, parseSecretRef, refreshCoordinationFor, resolveSecretRef } from "../credentials/index.js";
import { BadRequestError, isCoreError, InternalError } from "@podium-router/errors";
import { appReferences, type AppSource, createLocationAuth, type LocationAuth, writeRefreshTokenFile } from "../oauth/index.js";
import { mapConcurrent } from "../util/index.js";
import type { RecordAudit } from "../audit/index.js";
import { isLocationUid, isOrgSlug, LOCATION_UID_RULE, newRequestId } from "../ids.js";
import type { Settings } from "../settings/index.js";
import type { UpstreamClient } from "../upstream/index.js";
import type { OrganizationPins } from "./organization-pins.js";
import { reonboard, repairFailurePrefix, type RegisteredLocation, type ReonboardState } from "./reonboard.js";
import { describeLocation, verifyInScope } from "./verify-in-scope.js";

/** Longest refresh token accepted as a value; Podium's are far shorter, and the bound keeps a request small. */
export const MAX_REFRESH_TOKEN_LENGTH = 4096;

/**
 * Where a location's refresh token comes from: the token itself (all a caller over the wire can send; the router
 * writes it where the store keeps tokens), or the file that holds it, which only trusted in-process code may name.
 */
export type RefreshTokenSource = { refreshToken: string; refreshTokenFile?: undefined } | { refreshToken?: undefined; refreshTokenFile: string };

/**
 * What an operator hands over to onboard one location: the location, the Podium app (a configured `oauth_apps`
 * name, or from trusted code its secret references) and the refresh token (its value, or from trusted code its file).
 */
export type OnboardingInput = { locationUid: string; orgSlug: string } & AppSource & RefreshTokenSource;

/** `replaced`: a registered location's credentials replaced by the ones given, after they were verified (reonboard.ts). */
export type OnboardingOutcome = "onboarded" | "skipped_existing" | "failed" | "checked" | "replaced";

export interface OnboardingResult {
  locationUid: string;
  outcome: OnboardingOutcome;
  /** ERR_LOC_* code when failed. */
  errorCode?: string | undefined;
  /** What happened, and on failure what the operator should do. Never a secret. */
  message: string;
}

export interface OnboardingOptions {
  dryRun?: boolean | undefined;
  /**
   * Replace the credentials of registered, working locations when the ones given differ (after verifying them).
   * Broken registered locations are repaired either way. @default false
   */
  replace?: boolean | undefined;
  /** Defaults to settings.onboarding.concurrency. */
  concurrency?: number | undefined;
  caller?: string | undefined;
  signal?: AbortSignal | undefined;
}


/** What onboarding needs from the router that runs it. */
export interface OnboardingDeps {
  settings: Settings;
  store: CredentialStore;
  upstream: UpstreamClient;
  env: Record<string, string | undefined>;
  /**
   * The location if it is registered, and whether it works: checked with its stored credential (a cached
   * verification counts), so a re-run never calls a broken location "already onboarded". Throws when that cannot be
   * told (Podium unreachable).
   */
  assess(locationUid: string, requestId: string, signal?: AbortSignal): Promise<RegisteredLocation | undefined>;
  /** Make a persisted location routable (again), handing over the auth instance onboarding already warmed if any. */
  addLive(record: LocationRecord, auth?: LocationAuth): void;
  /** One audit line per location onboarded or refused. */
  recordAudit: RecordAudit;
  /**
   * Throws ERR_LOC_AUDIT_UNAVAILABLE while the audit log cannot take lines: onboarding changes the router's
   * state (a stored credential), and no change is made without its line (fail closed). Absent: no gate.
   */
  auditGate?: (locationUid: string, requestId: string) => void;
  /** Which organization each org slug stands for (see organization-pins.ts). */
  pins: OrganizationPins;
}


/**
 * Onboards locations with bounded concurrency, yielding one result per location as it finishes.
 *
 * For each location, strictly in this order: credential resolved → token obtained → location verified
 * in scope → persisted atomically → added to the live router. Nothing is written before the location
 * is proven in scope, so a failure at any step leaves no record behind (failure 4); the naive order
 * (persist, verify, roll back in memory) leaves a phantom record on disk. Re-running is safe: a location
 * already in the store reports `skipped_existing`, so a re-run after a failure does exactly the rest.
 *
 * The whole batch is refused up front (BadRequestError, nothing done) when an entry is malformed or a
 * location_uid appears twice: a bulk file with a typo must not half-apply.
 */
export async function* onboardLocations(
  inputs: readonly OnboardingInput[],
  opts: OnboardingOptions,
  deps: OnboardingDeps,
): AsyncGenerator<OnboardingResult> {
  validateBatch(inputs, deps);
  const concurrency = opts.concurrency && opts.concurrency > 0 ? opts.concurrency : deps.settings.onboarding.concurrency;
  yield* mapConcurrent(inputs, concurrency, (input) => onboardOne(input, opts, deps));
}

/** The refresh-token rule, as messages state it (never with the value: it is a secret). */
export const REFRESH_TOKEN_RULE = `1-${MAX_REFRESH_TOKEN_LENGTH} printable ASCII characters without spaces`;

/** 1-4096 characters from `!` to `~`: what an opaque OAuth token is made of (RFC 6749 appendix A.17). */
export function isRefreshTokenValue(token: string): boolean {
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_REFRESH_TOKEN_LENGTH) return false;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

function validateBatch(inputs: readonly OnboardingInput[], deps: Pick<OnboardingDeps, "settings">): void {
  const seen = new Map<string, number>();
  inputs.forEach((input, i) => {
    const where = `locations[${i}]`;
    if (!isLocationUid(input.locationUid)) {
      throw new BadRequestError({}, `${where}.location_uid must be ${LOCATION_UID_RULE}`);
    }
    const first = seen.get(input.locationUid);
    if (first !== undefined) {
      throw new BadRequestError({ locationUid: input.locationUid }, `duplicate location_uid in locations[${first}] and ${where}; nothing was onboarded`);
    }
    seen.set(input.locationUid, i);
    if (!isOrgSlug(input.orgSlug)) {
      throw new BadRequestError({ locationUid: input.locationUid }, `${where}.org_slug must be lower-case letters, digits and dashes`);
    }
    if (input.oauthApp !== undefined) {
      // Throws BadRequestError for a malformed or unconfigured name.
      appReferences(input, deps.settings.oauthApps, input.locationUid);
    } else {
      // parseSecretRef throws a CredentialError naming the field, never the value.
      parseSecretRef(input.clientIdRef, { label: `${where}.client_id_ref`, locationUid: input.locationUid });
      parseSecretRef(input.clientSecretRef, { label: `${where}.client_secret_ref`, locationUid: input.locationUid });
    }
    if (input.refreshToken === "") {
      throw new BadRequestError({ locationUid: input.locationUid }, `${where}.refresh_token is required: the location's refresh token itself`);
    } else if (input.refreshToken !== undefined) {
      // Never echoed: the message says what is wrong with the token, not what it is.
      if (!isRefreshTokenValue(input.refreshToken)) {
        throw new BadRequestError({ locationUid: input.locationUid }, `${where}.refresh_token must be the token itself: ${REFRESH_TOKEN_RULE}`);
      }
    } else if (!input.refreshTokenFile) {
      throw new BadRequestError({ locationUid: input.locationUid }, `${where}.${"refreshTokenFile" in input ? "refresh_token_file" : "refresh_token"} is required`);
    }
  });
}

async function onboardOne(input: OnboardingInput, opts: OnboardingOptions, deps: OnboardingDeps): Promise<OnboardingResult> {
  const t0 = performance.now();
  const requestId = newRequestId();
  const uid = input.locationUid;
  const audited = (errorCode?: string): void =>
    deps.recordAudit({ subject: { kind: "rpc", rpc: "OnboardLocations" }, locationUid: uid, requestId, startedAt: t0, caller: opts.caller, errorCode, status: errorCode ? 0 : 200 });
  // A token sent as a value is written where the store reads tokens from; kept only if it becomes the record's.
  let tokenFile: string | undefined;
  let kept = false;
  let registered: RegisteredLocation | undefined;
  const again: ReonboardState = { kept: false };
  try {
    deps.auditGate?.(uid, requestId);
    const { clientIdRef, clientSecretRef } = appReferences(input, deps.settings.oauthApps, uid);
    // Already registered: skipped if it works and nothing differs, else repaired or replaced (reonboard.ts).
    registered = await deps.assess(uid, requestId, opts.signal);
    if (registered !== undefined) return await reonboard(registered, input, { clientIdRef, clientSecretRef }, { requestId, opts, deps, audited, state: again });
    if (input.refreshToken !== undefined) tokenFile = await writeRefreshTokenFile(deps.settings.onboarding.refreshTokenDir, uid, input.refreshToken);
    const now = new Date().toISOString();
    const record: LocationRecord = {
      locationUid: uid,
      orgSlug: input.orgSlug,
      clientIdRef,
      clientSecretRef,
      refreshTokenFile: tokenFile ?? resolve(input.refreshTokenFile as string),
      state: "active",
      createdAt: now,
      updatedAt: now,
    };
    // 1. Credential resolved.
    const [clientId, clientSecret] = await Promise.all([
      resolveSecretRef(record.clientIdRef, deps.env),
      resolveSecretRef(record.clientSecretRef, deps.env),
    ]);
    await deps.store.readRefreshToken(record);
    // 2. Token obtained, by the auth instance that will serve this location afterwards.
    const auth = createLocationAuth({
      locationUid: uid,
      tokenUrl: deps.settings.upstream.tokenUrl,
      clientId,
      clientSecret,
      readRefreshToken: () => deps.store.readRefreshToken(record),
      writeRefreshToken: (token: string) => deps.store.writeRefreshToken(record, token),
      expiryMarginMs: deps.settings.oauth.expiryMarginSeconds * 1000,
      upstream: deps.upstream,
      // Skipped until the record is stored; from then on it serves the live location.
      coordination: refreshCoordinationFor(deps.store, record),
    });
    const token = await auth.getAccessToken({ signal: opts.signal });
    // 3. Verified in scope with this location's own credential.
    const seen = await verifyInScope(uid, token, deps, requestId, opts.signal, { registered: false });
    // 3b. The org slug stands for the organization Podium reports (a location of another organization is refused).
    const identity = seen.organizationUid === undefined ? undefined : { locationUid: uid, orgSlug: input.orgSlug, organizationUid: seen.organizationUid };
    if (opts.dryRun) {
      if (identity !== undefined) deps.pins.check(identity);
      audited();
      return { locationUid: uid, outcome: "checked", message: "credentials resolve and the location is in scope; nothing was changed (dry run)" };
    }
    const release = identity === undefined ? () => undefined : deps.pins.claim(identity);
    try {
      record.verifiedAt = new Date().toISOString();
      if (seen.organizationUid) record.organizationUid = seen.organizationUid;
      if (seen.name) record.name = seen.name;
      // 4. Persisted atomically; a concurrent onboarding of the same uid loses the race cleanly.
      if (!(await deps.store.insert(record))) {
        audited();
        return { locationUid: uid, outcome: "skipped_existing", message: "already onboarded; nothing changed" };
      }
      // 5. Live.
      deps.addLive(record, auth);
    } finally {
      release();
    }
    // A store that imported the token (PostgreSQL) keeps no plaintext copy on disk.
    const stored = tokenFile === undefined ? undefined : await deps.store.get(uid);
    kept = stored !== undefined && resolve(stored.refreshTokenFile) === tokenFile;
    audited();
    return { locationUid: uid, outcome: "onboarded", message: `${describeLocation(record)}: verified in scope, stored and routable` };
  } catch (err) {
    const e = isCoreError(err) ? err : new InternalError({ locationUid: uid, requestId, cause: err });
    audited(e.code);
    const repair = registered !== undefined && e.code !== "ERR_LOC_ALREADY_ONBOARDED" ? `${repairFailurePrefix(registered)}: ` : "";
    return { locationUid: uid, outcome: "failed", errorCode: e.code, message: `${repair}${e.message}${again.hint === undefined ? "" : ` (${again.hint})`}` };
  } finally {
    // A failed, skipped or dry-run onboarding leaves no token behind.
    if (tokenFile !== undefined && !kept) await unlink(tokenFile).catch(() => undefined);
    if (again.tokenFile !== undefined && !again.kept) await unlink(again.tokenFile).catch(() => undefined);
  }
}

