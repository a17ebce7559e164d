import { createSandbox, defaultFixtureIds } from "@podium-router/podium-sandbox";
import { println } from "../cli-io.js";
import type { CliIo } from "../cli-io.js";
import { exitCodes } from "../exit-codes.js";
import type { SandboxFlags } from "../parse-args.js";
import { waitForShutdown } from "../wait-for-shutdown.js";

/** `podium-router sandbox`: the Podium API sandbox on a port, until SIGINT or SIGTERM. */
export async function sandboxCommand(io: CliIo, flags: SandboxFlags): Promise<number> {
  const sandbox = await createSandbox({ port: flags.port, host: flags.host });
  try {
    const cs = defaultFixtureIds.coastalSmiles;
    println(io.stdout, `Podium sandbox listening on ${sandbox.url}`);
    println(io.stdout, `  organization ${cs.slug}: Sydney ${cs.locations.sydney}, Burleigh Heads ${cs.locations.burleighHeads}`);
    println(io.stdout, `  fixture (client ids, refresh tokens): curl ${sandbox.url}/_sandbox/fixture`);
    println(io.stdout, "Press Ctrl-C to stop.");
    await waitForShutdown(io.shutdown);
  } finally {
    await sandbox.close();
  }
  return exitCodes.ok;
}
