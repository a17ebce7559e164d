import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { PodiumMethod } from "@podium-router/client";
import { UsageError } from "../cli-error.js";
import { println } from "../cli-io.js";
import { RPC_TIMEOUT_MS } from "../command-context.js";
import type { CommandContext } from "../command-context.js";
import { exitCodes } from "../exit-codes.js";
import type { CallFlags } from "../parse-args.js";

/**
 * `podium-router call METHOD PATH`: prints Podium's response body on stdout. Exit 0 for a 2xx answer;
 * otherwise 1, with the status and request id on stderr.
 */
export async function callCommand(ctx: CommandContext, flags: CallFlags): Promise<number> {
  const body = await readBody(flags.data, ctx.io.cwd);
  const res = await ctx.client
    .location(flags.locationUid)
    .call(flags.method as PodiumMethod, flags.path, body, { timeoutMs: RPC_TIMEOUT_MS, ...(flags.requestId ? { requestId: flags.requestId } : {}) });
  if (res.body !== "") println(ctx.io.stdout, res.body);
  if (!res.ok) {
    println(ctx.io.stderr, `podium-router: Podium answered ${res.status} (request id ${res.requestId})`);
    return exitCodes.failed;
  }
  return exitCodes.ok;
}

/** The --data value (or the file after @) checked to be JSON, so a typo is caught before it is sent. */
async function readBody(data: string | undefined, cwd: string): Promise<string | undefined> {
  if (data === undefined) return undefined;
  let text = data;
  let what = "--data";
  if (data.startsWith("@")) {
    what = data.slice(1);
    try {
      text = await readFile(resolve(cwd, what), "utf8");
    } catch (err) {
      throw new UsageError(`cannot read ${what}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  return text;
}
