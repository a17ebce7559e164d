import { OnboardingOutcome } from "@podium-router/client";
import { UsageError } from "../cli-error.js";
import { RPC_TIMEOUT_MS } from "../command-context.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import { enumName } from "../format/format-values.js";
import type { LocationsFlags } from "../parse-args.js";
import { onboardByConsent } from "./onboard-by-consent.js";
import { printResults, refuseCleartext, succeeded, withTokens, type ResultRow } from "./onboard-command.js";

/**
 * `podium-router locations reauthorize`: gives a registered location a new refresh token, from a consent
 * (`--authorize`) or a file (`--refresh-token-file`), with the app and org slug it already has unless told
 * otherwise. The router verifies the new credential, then replaces the stored one in one write, or keeps the stored
 * one and says why. Exit 0 when the location ends up with a working credential (replaced, or nothing to replace).
 */
export async function reauthorizeCommand(ctx: CommandContext, flags: LocationsFlags): Promise<number> {
  const source = flags.reauthorize!;
  const uid = flags.locationUid!;
  const status = await ctx.client.location(uid).status({ timeoutMs: RPC_TIMEOUT_MS });
  const oauthApp = source.oauthApp ?? (status.oauthApp === "" ? undefined : status.oauthApp);
  if (oauthApp === undefined) {
    throw new UsageError(`location ${uid} uses no app configured under the router's oauth_apps (it was onboarded with references, or its app's references changed): pass --oauth-app NAME`);
  }
  const entry = { locationUid: uid, orgSlug: status.orgSlug, oauthApp };
  let row: ResultRow;
  if (source.consentScopes !== undefined) {
    row = await onboardByConsent(ctx, { ...entry, scopes: source.consentScopes }, flags.output === "json");
  } else {
    refuseCleartext(ctx.serverUrl, source.allowCleartext);
    const locations = await withTokens([{ ...entry, refreshTokenFile: source.refreshTokenFile! }]);
    row = { location_uid: uid, outcome: "no_result", message: "the router sent no result; run the command again" };
    for await (const r of ctx.client.onboardLocations({ locations, replace: true })) {
      row = { location_uid: r.locationUid, outcome: enumName(OnboardingOutcome, r.outcome), ...(r.errorCode ? { error_code: r.errorCode } : {}), message: r.message };
    }
  }
  printResults(ctx, [row], flags.output);
  return succeeded(row.outcome) ? exitCodes.ok : exitCodes.failed;
}
