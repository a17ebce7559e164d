import { println } from "../cli-io.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";

/** A health check answers fast or not at all: a router that needs longer is not healthy. */
const HEALTH_TIMEOUT_MS = 5_000;

/** `podium-router health`: 0 when the router says SERVING, 1 when it answers otherwise (shutting down), 2 for no answer. */
export async function healthCommand(ctx: CommandContext): Promise<number> {
  const status = await ctx.client.health("", { timeoutMs: HEALTH_TIMEOUT_MS });
  println(ctx.io.stdout, status);
  return status === "SERVING" ? exitCodes.ok : exitCodes.failed;
}
