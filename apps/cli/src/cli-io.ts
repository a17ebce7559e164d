/** Where the CLI writes text: process.stdout/stderr in production, string collectors in tests. */
export interface OutputStream {
  write(text: string): unknown;
}

/** Everything a command may touch outside its arguments, injected so commands run without a process. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** True when stderr is a terminal: the onboarding progress bar is drawn only then. */
  isTTY: boolean;
  /** The environment (PODIUM_ROUTER_URL, PODIUM_ROUTER_API_KEY, and `env:` credential references). */
  env: Record<string, string | undefined>;
  /** The directory relative paths (bulk files, --data @file, --state-dir) are resolved against. */
  cwd: string;
  /** Aborted on SIGINT/SIGTERM, so long-running commands (serve, sandbox, dev) stop cleanly. */
  shutdown: AbortSignal;
}

/** Writes one line (a trailing newline is added). */
export function println(stream: OutputStream, text = ""): void {
  stream.write(`${text}\n`);
}
