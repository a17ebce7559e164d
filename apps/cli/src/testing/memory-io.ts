import type { CliIo } from "../cli-io.js";

/** A `CliIo` that collects what the CLI writes, for specs that need no process. */
export interface MemoryIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** Aborts `io.shutdown`, as SIGINT would. */
  shutdown(): void;
}

/** Creates an in-memory `CliIo`: not a terminal, an empty environment, the process's cwd unless told. */
export function createMemoryIo(options: { isTTY?: boolean; env?: Record<string, string | undefined>; cwd?: string } = {}): MemoryIo {
  let out = "";
  let err = "";
  const controller = new AbortController();
  return {
    io: {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (err += text) },
      isTTY: options.isTTY ?? false,
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
      shutdown: controller.signal,
    },
    stdout: () => out,
    stderr: () => err,
    shutdown: () => controller.abort(),
  };
}
