import { OnboardingOutcome } from "@podium-router/client";
import type { OnboardLocationsResponse } from "@podium-router/client";
import { UsageError } from "../cli-error.js";
import { println } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import { formatTable } from "../format/format-table.js";
import { enumName } from "../format/format-values.js";
import { readOnboardingFile, resolveEntryPaths } from "../onboarding-file.js";
import type { OnboardEntry, OnboardFlags } from "../parse-args.js";
import { readRefreshTokenFile } from "../refresh-token-file.js";
import { onboardByConsent } from "./onboard-by-consent.js";
import { createOnboardProgress } from "./onboard-progress.js";

/** One row of the result table. */
export interface ResultRow {
  location_uid: string;
  outcome: string;
  error_code?: string;
  message: string;
}

/**
 * `podium-router onboard`: reads each location's refresh token from its local file and sends the locations
 * (one from flags, or a checked bulk file), each naming a configured OAuth app; shows a progress bar on a
 * terminal, then prints one result per location. With `--authorize`, one location is onboarded by consent
 * instead (see onboard-by-consent.ts). Exit 0 when every location is onboarded, skipped or (dry run)
 * checked; 1 when any failed or got no result.
 */
export async function onboardCommand(ctx: CommandContext, flags: OnboardFlags): Promise<number> {
  if (flags.authorize !== undefined) {
    const row = await onboardByConsent(ctx, flags.authorize, flags.output === "json");
    printResults(ctx, [row], flags.output);
    return succeeded(row.outcome) ? exitCodes.ok : exitCodes.failed;
  }
  const entries = flags.fromFile !== undefined ? await readOnboardingFile(flags.fromFile, ctx.io.cwd) : [resolveEntryPaths(flags.entry!, ctx.io.cwd)];
  refuseCleartext(ctx.serverUrl, flags.allowCleartext);
  const locations = await withTokens(entries);
  const progress = ctx.io.isTTY ? createOnboardProgress(entries.length, ctx.io.stderr) : undefined;
  const results = new Map<string, OnboardLocationsResponse>();
  let streamError: unknown;
  try {
    const stream = ctx.client.onboardLocations({ locations, dryRun: flags.dryRun, replace: flags.replace, concurrency: flags.concurrency ?? 0 });
    for await (const r of stream) {
      results.set(r.locationUid, r);
      progress?.tick(r.locationUid);
    }
  } catch (err) {
    // Print what finished before the stream broke: those locations are done and a re-run skips them.
    streamError = err;
  } finally {
    progress?.stop();
  }

  const rows: ResultRow[] = entries.map(({ locationUid }) => {
    const r = results.get(locationUid);
    if (r === undefined) return { location_uid: locationUid, outcome: "no_result", message: "the router sent no result; run the command again" };
    return { location_uid: locationUid, outcome: enumName(OnboardingOutcome, r.outcome), ...(r.errorCode ? { error_code: r.errorCode } : {}), message: r.message };
  });
  if (results.size > 0 || streamError === undefined) printResults(ctx, rows, flags.output);
  if (streamError !== undefined) throw streamError;

  const kept = rows.filter((r) => r.outcome === "skipped_existing" && r.message.includes("differs from the stored one"));
  if (kept.length > 0 && !flags.replace) {
    println(ctx.io.stderr, `podium-router: ${kept.length} working location(s) were given another refresh token than the stored one and kept theirs; run again with --replace to replace them (each is verified first)`);
  }
  const failed = rows.filter((r) => !succeeded(r.outcome));
  if (failed.length > 0) {
    println(
      ctx.io.stderr,
      `podium-router: ${failed.length} of ${rows.length} locations not onboarded (ERR_LOC_ONBOARDING_PARTIAL); fix them and run the same command again: locations already onboarded and working are skipped, broken ones repaired`,
    );
    return exitCodes.failed;
  }
  return exitCodes.ok;
}

/** Outcomes that leave the location onboarded and working (or, in a dry run, would). */
export function succeeded(outcome: string): boolean {
  return outcome === "onboarded" || outcome === "skipped_existing" || outcome === "checked" || outcome === "replaced";
}

/** The locations as sent: each refresh token read from its file on this machine, by this process. */
export async function withTokens(entries: readonly OnboardEntry[]): Promise<{ locationUid: string; orgSlug: string; oauthApp: string; refreshToken: string }[]> {
  const out = [];
  for (const { locationUid, orgSlug, oauthApp, refreshTokenFile } of entries) {
    out.push({ locationUid, orgSlug, oauthApp, refreshToken: await readRefreshTokenFile(refreshTokenFile) });
  }
  return out;
}

/**
 * Refresh tokens leave this machine only over TLS or to a router on this host: the router would refuse them
 * anyway, but only after they crossed the network readable by anyone on the path.
 */
export function refuseCleartext(serverUrl: string, allowed: boolean): void {
  const url = new URL(serverUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const local = host === "localhost" || host === "::1" || host.startsWith("127.");
  if (url.protocol === "http:" && !local && !allowed) {
    throw new UsageError(
      `refusing to send refresh tokens in cleartext to ${url.host}: use an https:// --server, or --allow-cleartext on a trusted network (the router must allow it too: server.allow_cleartext_secrets)`,
    );
  }
}

export function printResults(ctx: CommandContext, rows: ResultRow[], output: OnboardFlags["output"]): void {
  if (output === "json") {
    println(ctx.io.stdout, JSON.stringify(rows, null, 2));
    return;
  }
  ctx.io.stdout.write(formatTable(["LOCATION_UID", "OUTCOME", "ERROR_CODE", "MESSAGE"], rows.map((r) => [r.location_uid, r.outcome, r.error_code, r.message])));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  println(ctx.io.stdout, [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(", "));
}
