import { WebhookScope, WebhookSyncOutcome } from "@podium-router/client";
import { println } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import { formatTable } from "../format/format-table.js";
import { enumName } from "../format/format-values.js";
import type { WebhooksFlags } from "../parse-args.js";

/** `podium-router webhooks sync`: one result per location; exit 1 when any location failed. */
export async function webhooksSyncCommand(ctx: CommandContext, flags: WebhooksFlags): Promise<number> {
  const rows: Array<Record<string, string>> = [];
  for await (const r of ctx.client.syncWebhooks({ locationUids: flags.locationUids })) {
    const row = {
      location_uid: r.locationUid,
      outcome: enumName(WebhookSyncOutcome, r.outcome),
      scope: r.scope === WebhookScope.UNSPECIFIED ? "" : enumName(WebhookScope, r.scope),
      subscription_id: r.subscriptionId,
      podium_webhook_uid: r.podiumWebhookUid,
      error_code: r.errorCode,
      message: r.message,
    };
    rows.push(row);
  }
  if (flags.output === "json") println(ctx.io.stdout, JSON.stringify(rows, null, 2));
  else if (rows.length === 0) println(ctx.io.stderr, "no locations registered");
  else ctx.io.stdout.write(formatTable(["LOCATION_UID", "OUTCOME", "SCOPE", "PODIUM_WEBHOOK", "MESSAGE"], rows.map((r) => [r.location_uid, r.outcome, r.scope, r.podium_webhook_uid, r.error_code === "" ? r.message : `${r.error_code}: ${r.message}`])));
  return rows.some((r) => r.outcome === "failed") ? exitCodes.failed : exitCodes.ok;
}
