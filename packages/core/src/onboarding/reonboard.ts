/**
 * Onboarding a location that is already registered: the repair path. A working location whose input matches is
 * skipped; one given other credentials is refused (another app or org slug) or kept (only the refresh token differs:
 * Podium may have rotated the stored one) unless the caller asks to replace; a broken one (its credential refused,
 * deleted, out of scope) is repaired with the credentials given. A repair or a replacement verifies the given
 * credentials first, holding the token in memory, and only then writes the record and its token in one atomic
 * store operation: a credential that does not work never replaces one, and a failure changes nothing.
 */
import { basename, dirname, resolve } from "node:path";
import { readFile, unlink } from "node:fs/promises";
import { AlreadyOnboardedError, CredentialError } from "@podium-router/errors";
import { type LocationRecord, resolveSecretRef } from "../credentials/index.js";
import { createLocationAuth, type OAuthApps, writeRefreshTokenFile } from "../oauth/index.js";
import type { OnboardingDeps, OnboardingInput, OnboardingOptions, OnboardingResult } from "./onboarding.js";
import { describeLocation, verifyInScope } from "./verify-in-scope.js";

/** Why a registered location does not work, as the router last saw it (or just checked). */
export type BrokenReason = "auth_failed" | "deleted" | "not_in_scope";

/** A registered location as onboarding finds it. */
export interface RegisteredLocation {
  record: LocationRecord;
  /** Undefined: it works (verified with its stored credential, or at least not known to fail). */
  broken?: BrokenReason | undefined;
}

const BROKEN_TEXT: Record<BrokenReason, string> = {
  auth_failed: "Podium refused its stored credential",
  deleted: "it was marked deleted (Podium answered 404)",
  not_in_scope: "it was not in its credential's scope",
};

/** What one re-onboarding shares with the caller: the token file it wrote, whether it became the record's. */
export interface ReonboardState {
  tokenFile?: string | undefined;
  kept: boolean;
  /** Said after the error when a repair fails: what to do instead. */
  hint?: string | undefined;
}

/** The name of the configured app whose references `record` uses, if one does. */
export function appNameOf(apps: OAuthApps, record: Pick<LocationRecord, "clientIdRef" | "clientSecretRef">): string | undefined {
  for (const [name, app] of apps) if (app.clientIdRef === record.clientIdRef && app.clientSecretRef === record.clientSecretRef) return name;
  return undefined;
}

/** The result message's prefix when a repair fails, so the operator reads why it was attempted. */
export function repairFailurePrefix(registered: RegisteredLocation): string {
  return registered.broken === undefined
    ? `the stored credentials of location ${registered.record.locationUid} were kept: the ones given did not verify`
    : `location ${registered.record.locationUid} is still broken (${BROKEN_TEXT[registered.broken]}): the credentials given did not repair it; nothing was changed`;
}

export async function reonboard(
  registered: RegisteredLocation,
  input: OnboardingInput,
  refs: { clientIdRef: string; clientSecretRef: string },
  ctx: { requestId: string; opts: OnboardingOptions; deps: OnboardingDeps; audited: (errorCode?: string) => void; state: ReonboardState },
): Promise<OnboardingResult> {
  const { requestId, opts, deps, audited, state } = ctx;
  const { record, broken } = registered;
  const uid = record.locationUid;
  const supplied = input.refreshToken ?? (await readGivenTokenFile(input.refreshTokenFile as string, uid));
  const stored = await deps.store.readRefreshToken(record).catch(() => undefined);

  const differences: string[] = [];
  const appDiffers = refs.clientIdRef !== record.clientIdRef || refs.clientSecretRef !== record.clientSecretRef;
  if (appDiffers) {
    const was = appNameOf(deps.settings.oauthApps, record);
    differences.push(`OAuth app (stored: ${was === undefined ? "other references" : `"${was}"`}; given: ${input.oauthApp === undefined ? "other references" : `"${input.oauthApp}"`})`);
  }
  if (input.orgSlug !== record.orgSlug) differences.push(`org slug (stored: "${record.orgSlug}"; given: "${input.orgSlug}")`);
  const tokenDiffers = stored === undefined || stored !== supplied.trim();
  if (tokenDiffers) differences.push("refresh token");

  if (broken === undefined) {
    if (differences.length === 0) {
      audited();
      return { locationUid: uid, outcome: "skipped_existing", message: "already onboarded and working; nothing changed" };
    }
    if (!opts.replace) {
      if (appDiffers || input.orgSlug !== record.orgSlug) {
        throw new AlreadyOnboardedError({ locationUid: uid, requestId }, `location ${uid} is onboarded and working; the input differs in ${differences.join(", ")}`);
      }
      audited();
      return {
        locationUid: uid,
        outcome: "skipped_existing",
        message: "already onboarded and working; the refresh token given differs from the stored one (Podium may have rotated the stored one since), so the stored one was kept; onboard with --replace (replace: true) to replace it",
      };
    }
  }
  if (broken === "auth_failed" && !tokenDiffers) {
    state.hint = "the refresh token given is the stored one, which Podium refuses: get a new one with `podium-router locations reauthorize --authorize` (a consent) or pass a newly issued token";
  }

  // Verify the given credentials with the token held in memory: nothing stored is touched until they work.
  let token = supplied.trim();
  const [clientId, clientSecret] = await Promise.all([resolveSecretRef(refs.clientIdRef, deps.env), resolveSecretRef(refs.clientSecretRef, deps.env)]);
  const auth = createLocationAuth({
    locationUid: uid,
    tokenUrl: deps.settings.upstream.tokenUrl,
    clientId,
    clientSecret,
    readRefreshToken: async () => token,
    writeRefreshToken: async (rotated: string) => {
      token = rotated;
    },
    expiryMarginMs: deps.settings.oauth.expiryMarginSeconds * 1000,
    upstream: deps.upstream,
  });
  const seen = await verifyInScope(uid, await auth.getAccessToken({ signal: opts.signal }), deps, requestId, opts.signal, { registered: true });
  const identity = seen.organizationUid === undefined ? undefined : { locationUid: uid, orgSlug: input.orgSlug, organizationUid: seen.organizationUid };
  const what = broken === undefined ? `credentials replaced (${differences.join(", ")})` : `repaired: ${BROKEN_TEXT[broken]}; ${differences.length === 0 ? "re-verified with the same credentials" : `given ${differences.join(", ")}`}`;
  if (opts.dryRun) {
    if (identity !== undefined) deps.pins.check(identity);
    audited();
    return { locationUid: uid, outcome: "checked", message: `the credentials given work and the location is in scope; a real run would be: ${what}; nothing was changed (dry run)` };
  }

  // One atomic write: the record and its token together (PostgreSQL: one transaction; file store: one rewrite
  // of the locations file pointing at a token file written just before).
  const release = identity === undefined ? () => undefined : deps.pins.claim(identity);
  let next: LocationRecord;
  try {
    state.tokenFile = await writeRefreshTokenFile(deps.settings.onboarding.refreshTokenDir, uid, token);
    const now = new Date().toISOString();
    next = await deps.store.replace(
      {
        ...record,
        orgSlug: input.orgSlug,
        clientIdRef: refs.clientIdRef,
        clientSecretRef: refs.clientSecretRef,
        refreshTokenFile: state.tokenFile,
        state: "active",
        verifiedAt: now,
        updatedAt: now,
        ...(seen.organizationUid === undefined ? {} : { organizationUid: seen.organizationUid }),
        ...(seen.name === undefined ? {} : { name: seen.name }),
      },
      { refreshToken: token },
    );
    // The store-backed auth is built on the next call; the one above holds its token in memory only.
    deps.addLive(next);
  } finally {
    release();
  }
  state.kept = resolve(next.refreshTokenFile) === state.tokenFile;
  // The token file an earlier onboarding wrote for this location is no one's any more (a shared one never is).
  if (next.refreshTokenFile !== record.refreshTokenFile && isOnboardingTokenFile(record.refreshTokenFile, deps.settings.onboarding.refreshTokenDir, uid)) {
    await unlink(record.refreshTokenFile).catch(() => undefined);
  }
  audited();
  return { locationUid: uid, outcome: "replaced", message: `${describeLocation(next)}: ${what}; verified in scope, stored and routable` };
}

/** A file onboarding wrote for this location alone: `<refresh_token_dir>/<uid>.<random>.refresh-token`. */
function isOnboardingTokenFile(file: string, dir: string, uid: string): boolean {
  return resolve(dirname(file)) === resolve(dir) && basename(file).startsWith(`${uid}.`) && file.endsWith(".refresh-token");
}

/** A token file named by trusted in-process code (dev mode, tests): read once, here. */
async function readGivenTokenFile(file: string, uid: string): Promise<string> {
  try {
    const text = (await readFile(resolve(file), "utf8")).trim();
    if (text !== "") return text;
  } catch (err) {
    throw new CredentialError({ locationUid: uid, cause: err }, `refresh-token file ${resolve(file)} cannot be read`);
  }
  throw new CredentialError({ locationUid: uid }, `refresh-token file ${resolve(file)} is empty`);
}
