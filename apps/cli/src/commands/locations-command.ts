import { AuthState, ForwarderState, LocationState, VerificationState, WebhookScope } from "@podium-router/client";
import type { GetLocationStatusResponse } from "@podium-router/client";
import { println } from "../cli-io.js";
import { RPC_TIMEOUT_MS } from "../command-context.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import { formatTable } from "../format/format-table.js";
import { enumName, formatTimestamp } from "../format/format-values.js";
import type { LocationsFlags } from "../parse-args.js";

/** `podium-router locations list|status|remove|reauthorize`. */
export async function locationsCommand(ctx: CommandContext, flags: LocationsFlags): Promise<number> {
  const out = ctx.io.stdout;
  switch (flags.action) {
    case "list": {
      const { locations } = await ctx.client.listLocations({ orgSlug: flags.orgSlug ?? "" }, { timeoutMs: RPC_TIMEOUT_MS });
      const rows = locations
        .filter((l) => flags.locationUid === undefined || l.locationUid === flags.locationUid)
        .map((l) => ({
          location_uid: l.locationUid,
          name: l.name,
          org_slug: l.orgSlug,
          organization_uid: l.organizationUid,
          oauth_app: l.oauthApp,
          state: enumName(LocationState, l.state),
          verified_at: formatTimestamp(l.verifiedAt),
        }));
      if (flags.output === "json") println(out, JSON.stringify(rows, null, 2));
      else if (rows.length === 0) println(ctx.io.stderr, "no locations registered");
      else {
        const columns = ["LOCATION_UID", "NAME", "ORG_SLUG", "ORGANIZATION_UID", "STATE", "VERIFIED_AT"];
        out.write(formatTable(columns, rows.map((r) => [r.location_uid, r.name, r.org_slug, r.organization_uid, r.state, r.verified_at])));
      }
      return exitCodes.ok;
    }
    case "status": {
      const raw = await ctx.client.location(flags.locationUid!).status({ timeoutMs: RPC_TIMEOUT_MS });
      const status = statusFields(raw);
      if (flags.output === "json") println(out, JSON.stringify(status, null, 2));
      else out.write(formatTable(["FIELD", "VALUE"], Object.entries(status).map(([k, v]) => [k, v])));
      const repair = repairHint(raw);
      if (repair !== undefined) println(ctx.io.stderr, `repair: ${repair}`);
      return exitCodes.ok;
    }
    case "reauthorize":
      return (await import("./reauthorize-command.js")).reauthorizeCommand(ctx, flags);
    case "remove": {
      const res = await ctx.client.location(flags.locationUid!).remove({ timeoutMs: RPC_TIMEOUT_MS });
      println(out, `removed ${res.locationUid || flags.locationUid!}`);
      return exitCodes.ok;
    }
  }
}

/** The command that repairs a broken location, or undefined for one that works. */
function repairHint(s: GetLocationStatusResponse): string | undefined {
  const uid = s.locationUid;
  if (s.state === LocationState.DELETED) {
    return `if Podium restored the location, run \`podium-router onboard\` for it again (it is verified and made live); otherwise \`podium-router locations remove --location-uid ${uid}\``;
  }
  if (s.authState === AuthState.FAILED || s.verificationState === VerificationState.NOT_IN_SCOPE) {
    return `podium-router locations reauthorize --location-uid ${uid} --authorize   (or --refresh-token-file FILE)`;
  }
  return undefined;
}

/** The status as flat snake_case fields; unset times are left out. */
function statusFields(s: GetLocationStatusResponse): Record<string, string | number> {
  const fields: Record<string, string | number> = {
    location_uid: s.locationUid,
    name: s.name,
    org_slug: s.orgSlug,
    organization_uid: s.organizationUid,
    oauth_app: s.oauthApp,
    state: enumName(LocationState, s.state),
    verification_state: enumName(VerificationState, s.verificationState),
    verified_at: formatTimestamp(s.verifiedAt),
    verification_expires_at: formatTimestamp(s.verificationExpiresAt),
    auth_state: enumName(AuthState, s.authState),
    access_token_expires_at: formatTimestamp(s.accessTokenExpiresAt),
    last_refresh_at: formatTimestamp(s.lastRefreshAt),
    last_refresh_outcome: s.lastRefreshOutcome,
    last_refresh_error_code: s.lastRefreshErrorCode,
    last_success_at: formatTimestamp(s.lastSuccessAt),
    last_error_code: s.lastErrorCode,
    last_error_at: formatTimestamp(s.lastErrorAt),
    last_error_request_id: s.lastErrorRequestId,
    last_error_message: s.lastErrorMessage,
  };
  if (s.budget !== undefined) {
    fields.budget_available = s.budget.available;
    fields.budget_capacity = s.budget.capacity;
    fields.budget_refill_per_second = s.budget.refillPerSecond;
    fields.budget_paused_until = formatTimestamp(s.budget.pausedUntil);
    fields.quota_group = s.budget.quotaGroup;
  }
  if (s.events !== undefined) {
    const e = s.events;
    fields.webhook_subscription_id = e.subscriptionId;
    fields.webhook_podium_uid = e.podiumWebhookUid;
    fields.webhook_scope = e.webhookScope === WebhookScope.UNSPECIFIED ? "" : enumName(WebhookScope, e.webhookScope);
    fields.events_last_cursor = e.lastCursor;
    fields.events_pruned_through = e.prunedThrough;
    const f = e.forwarder;
    if (f !== undefined) {
      fields.forwarder_target = f.target;
      fields.forwarder_state = enumName(ForwarderState, f.state);
      fields.forwarder_delivered_cursor = f.deliveredCursor;
      fields.forwarder_pending = Number(f.pending);
      fields.forwarder_attempts = f.attempts;
      fields.forwarder_next_attempt_at = formatTimestamp(f.nextAttemptAt);
      fields.forwarder_last_status = f.lastStatus;
      fields.forwarder_last_error = f.lastError;
      fields.forwarder_dead_letters = Number(f.deadLetters);
      fields.forwarder_last_dead_cursor = f.lastDeadCursor;
    }
  }
  for (const [k, v] of Object.entries(fields)) if (v === "") delete fields[k];
  return fields;
}
