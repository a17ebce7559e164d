import { readFileSync } from "node:fs";
import { createRouterClient } from "@podium-router/client";
import type { RouterClient, RouterClientOptions } from "@podium-router/client";
import { UsageError } from "./cli-error.js";
import { println } from "./cli-io.js";
import type { CliIo } from "./cli-io.js";
import type { CommandContext } from "./command-context.js";
import { exitCodeFor, exitCodes, messageFor } from "./exit-codes.js";
import { parseArgs } from "./parse-args.js";
import type { GlobalFlags, ParsedCommand } from "./parse-args.js";
import { commandUsage, mainUsage } from "./usage.js";

/** Where the CLI looks for a router when neither --server nor PODIUM_ROUTER_URL says. */
export const DEFAULT_SERVER_URL = "http://127.0.0.1:8080";

/** What `main()` builds its router client with; tests inject a client on an in-memory fake router. */
export interface CliDeps {
  createClient(options: RouterClientOptions): RouterClient;
}

const defaultDeps: CliDeps = { createClient: createRouterClient };

/** The CLI's version, from its package.json (one directory above both src/ and dist/). */
export const cliVersion: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * Runs `podium-router` with `argv` (the arguments after the program name) and returns the exit code.
 * Help and version are answered before any I/O; errors are printed as `podium-router: <message>`.
 */
export async function main(argv: readonly string[], io: CliIo, deps: CliDeps = defaultDeps): Promise<number> {
  if (argv[0] === "audit" && argv[1] === "verify") {
    return (await import("./commands/audit-verify-command.js")).auditVerifyCommand(argv.slice(2), io);
  }
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    println(io.stderr, `podium-router: ${parsed.errorMessage}`);
    println(io.stderr, `Run "podium-router ${parsed.topic === undefined ? "" : `${parsed.topic} `}--help" for usage.`);
    return exitCodes.unavailable;
  }
  if (parsed.command === "help") {
    io.stdout.write(parsed.topic === undefined ? mainUsage : commandUsage[parsed.topic]);
    return exitCodes.ok;
  }
  if (parsed.command === "version") {
    println(io.stdout, cliVersion);
    return exitCodes.ok;
  }
  const serverUrl = parsed.flags.server ?? nonEmpty(io.env.PODIUM_ROUTER_URL) ?? DEFAULT_SERVER_URL;
  let client: RouterClient | undefined;
  try {
    return await run(parsed, io, () => (client = openClient(deps, parsed.flags, io, serverUrl)), serverUrl);
  } catch (err) {
    println(io.stderr, `podium-router: ${messageFor(err, serverUrl)}`);
    return exitCodeFor(err);
  } finally {
    await client?.close();
  }
}

// Each command's module is loaded only when it runs: serve, sandbox and dev pull in the server, the core
// and the sandbox, which `--help` or `verify` have no use for.
async function run(parsed: Exclude<ParsedCommand, { command: "help" | "version" }>, io: CliIo, client: () => RouterClient, serverUrl: string): Promise<number> {
  const ctx = (): CommandContext => ({ client: client(), io, serverUrl });
  switch (parsed.command) {
    case "verify":
      return (await import("./commands/verify-command.js")).verifyCommand(ctx(), parsed.flags);
    case "onboard":
      return (await import("./commands/onboard-command.js")).onboardCommand(ctx(), parsed.flags);
    case "audit":
      return (await import("./commands/audit-command.js")).auditCommand(ctx(), parsed.flags);
    case "locations":
      return (await import("./commands/locations-command.js")).locationsCommand(ctx(), parsed.flags);
    case "call":
      return (await import("./commands/call-command.js")).callCommand(ctx(), parsed.flags);
    case "events":
      return (await import("./commands/events-tail-command.js")).eventsTailCommand(ctx(), parsed.flags);
    case "webhooks":
      return (await import("./commands/webhooks-sync-command.js")).webhooksSyncCommand(ctx(), parsed.flags);
    case "serve":
      return (await import("./commands/serve-command.js")).serveCommand(io, parsed.flags);
    case "sandbox":
      return (await import("./commands/sandbox-command.js")).sandboxCommand(io, parsed.flags);
    case "dev":
      return (await import("./commands/dev-command.js")).devCommand(io, parsed.flags);
    case "health":
      return (await import("./commands/health-command.js")).healthCommand(ctx());
    case "credentials":
      return (await import("./commands/credentials-command.js")).credentialsCommand(io, parsed.flags);
  }
}

function openClient(deps: CliDeps, flags: GlobalFlags, io: CliIo, serverUrl: string): RouterClient {
  const apiKey = flags.apiKey ?? nonEmpty(io.env.PODIUM_ROUTER_API_KEY);
  try {
    return deps.createClient({ baseUrl: serverUrl, apiKey, protocol: flags.protocol ?? "connect" });
  } catch (err) {
    // An option check failed (e.g. a malformed PODIUM_ROUTER_URL): a configuration error, exit 2.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
