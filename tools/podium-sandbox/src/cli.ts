import { parseArgs as parseNodeArgs } from "node:util";
import { loadFixtureFile } from "./fixture-file.js";
import { createSandbox, type Sandbox, type SandboxOptions } from "./sandbox.js";

/** The `podium-sandbox --help` text. */
export const usage = `Usage: podium-sandbox [options]

A local simulator of the Podium API (OAuth, /v4 routes, faults, write ledger).

Options:
  --port N                 port to listen on (default 8787; 0 picks a free one)
  --host HOST              address to bind (default 127.0.0.1)
  --fixture FILE           JSON fixture with orgs, users, apps, grants (default: the built-in one)
  --rotate-refresh-tokens  each refresh returns a new refresh token and retires the old one
  --no-rate-limit          disable the 300 requests/minute limit
  --help                   show this text

Admin API (loopback only): GET/DELETE /_sandbox/ledger, GET /_sandbox/fixture, POST /_sandbox/grants,
GET/PUT/DELETE /_sandbox/faults, GET /_sandbox/stats.
`;

/** Parsed command line: what to start, or why not. */
export type CliArgs =
  | { ok: true; help: boolean; port: number; host: string; fixturePath?: string; rotateRefreshTokens: boolean; rateLimit: boolean }
  | { ok: false; errorMessage: string };

/** Default port of the sandbox process (ARCHITECTURE.md "The sandbox"). */
export const DEFAULT_PORT = 8787;

/** Parse argv (without node and script). Pure: no I/O. */
export function parseArgs(argv: readonly string[]): CliArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseNodeArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        fixture: { type: "string" },
        "rotate-refresh-tokens": { type: "boolean" },
        "no-rate-limit": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    return { ok: false, errorMessage: (err as Error).message };
  }
  const rawPort = values["port"];
  const port = rawPort === undefined ? DEFAULT_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (typeof rawPort === "string" && !/^\d+$/.test(rawPort))) {
    return { ok: false, errorMessage: "--port must be an integer between 0 and 65535" };
  }
  const host = values["host"];
  if (host === "") return { ok: false, errorMessage: "--host must not be empty" };
  const args: CliArgs = {
    ok: true,
    help: values["help"] === true,
    port,
    host: typeof host === "string" ? host : "127.0.0.1",
    rotateRefreshTokens: values["rotate-refresh-tokens"] === true,
    rateLimit: values["no-rate-limit"] !== true,
  };
  if (typeof values["fixture"] === "string") args.fixturePath = values["fixture"];
  return args;
}

/** Where the CLI writes. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Run the command: print help, or start a sandbox and print its URL. Returns the exit code and, when one
 * started, the sandbox (the caller keeps the process alive and closes it on a signal).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<{ exitCode: number; sandbox?: Sandbox }> {
  const args = parseArgs(argv);
  if (!args.ok) {
    io.stderr(`podium-sandbox: ${args.errorMessage}\n${usage}`);
    return { exitCode: 1 };
  }
  if (args.help) {
    io.stdout(usage);
    return { exitCode: 0 };
  }
  const options: SandboxOptions = { port: args.port, host: args.host, rotateRefreshTokens: args.rotateRefreshTokens };
  if (!args.rateLimit) options.rateLimit = false;
  try {
    if (args.fixturePath !== undefined) options.fixture = await loadFixtureFile(args.fixturePath);
    const sandbox = await createSandbox(options);
    io.stdout(`podium-sandbox listening on ${sandbox.url}\n`);
    return { exitCode: 0, sandbox };
  } catch (err) {
    io.stderr(`podium-sandbox: ${(err as Error).message}\n`);
    return { exitCode: 1 };
  }
}
