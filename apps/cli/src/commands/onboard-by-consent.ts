import { isCoreError, OnboardingOutcome } from "@podium-router/client";
import { println } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { enumName, formatTimestamp } from "../format/format-values.js";
import type { AuthorizeEntry } from "../parse-args.js";

/** The outcome of one consent, as a row of onboard's result table. */
export interface ConsentRow {
  location_uid: string;
  outcome: string;
  error_code?: string;
  message: string;
}

/** Waits this much past the state's expiry, so the router's own "expired" answer arrives before our timeout. */
const AWAIT_GRACE_MS = 10_000;

/**
 * `podium-router onboard --authorize`: asks the router for Podium's authorize URL for a configured OAuth app,
 * prints it with its expiry,
 * then waits until Podium redirects the browser back to the router and returns the location's result.
 * The instructions go to stdout, or to stderr when stdout carries JSON. A consent that never came (the state
 * expired) is a failed row; an unreachable router or a refused key throws, as for the other onboard forms.
 */
export async function onboardByConsent(ctx: CommandContext, entry: AuthorizeEntry, json: boolean): Promise<ConsentRow> {
  const begun = await ctx.client.beginAuthorization({ locationUid: entry.locationUid, orgSlug: entry.orgSlug, oauthApp: entry.oauthApp, scopes: entry.scopes });
  const expiresAt = begun.expiresAt === undefined ? Date.now() : Date.parse(formatTimestamp(begun.expiresAt));
  const out = json ? ctx.io.stderr : ctx.io.stdout;
  println(out, `Open this URL in a browser and approve the app as a user who can reach location ${entry.locationUid}:`);
  println(out, "");
  println(out, `  ${begun.authorizeUrl}`);
  println(out, "");
  println(out, `The link works once and expires at ${formatTimestamp(begun.expiresAt)}. Podium redirects to ${begun.redirectUri}`);
  println(out, "(register it as a redirect URI of the Podium app). Waiting for the consent...");

  try {
    const r = await ctx.client.awaitAuthorization({ state: begun.state }, { timeoutMs: Math.max(0, expiresAt - Date.now()) + AWAIT_GRACE_MS, signal: ctx.io.shutdown });
    return { location_uid: r.locationUid, outcome: enumName(OnboardingOutcome, r.outcome), ...(r.errorCode ? { error_code: r.errorCode } : {}), message: r.message };
  } catch (err) {
    // The router's answer that no consent came in time: the location was not onboarded, a definite "no".
    if (isCoreError(err) && err.code === "ERR_LOC_DEADLINE_EXCEEDED" && Date.now() >= expiresAt) {
      return { location_uid: entry.locationUid, outcome: "failed", error_code: err.code, message: err.message };
    }
    throw err;
  }
}
