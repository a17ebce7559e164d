import { VerificationState } from "@podium-router/client";
import { println } from "../cli-io.js";
import { RPC_TIMEOUT_MS } from "../command-context.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import type { VerifyFlags } from "../parse-args.js";
import { formatTimestamp } from "../format/format-values.js";

/**
 * `podium-router verify`: 0 when the location is in its credential's scope; refusals (unknown, not in
 * scope, deleted) are thrown and exit 1; a router or network failure exits 2.
 */
export async function verifyCommand(ctx: CommandContext, flags: VerifyFlags): Promise<number> {
  const res = await ctx.client.location(flags.locationUid).verify({ force: flags.force, timeoutMs: RPC_TIMEOUT_MS });
  if (res.state !== VerificationState.VERIFIED) {
    // The contract refuses with an error; a server that answers with a state instead is read the same way.
    println(ctx.io.stderr, `podium-router: ${res.locationUid} is not verified in scope (state ${VerificationState[res.state]})`);
    return exitCodes.failed;
  }
  const source = res.cached ? "cached verification" : "checked with Podium now";
  println(ctx.io.stdout, `${res.locationUid} is in scope (org ${res.orgSlug}, verified at ${formatTimestamp(res.verifiedAt)}, ${source})`);
  return exitCodes.ok;
}
