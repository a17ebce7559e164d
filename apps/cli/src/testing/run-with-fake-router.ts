import { createRouterClient } from "@podium-router/client";
import type { RouterClientOptions } from "@podium-router/client";
import { createFakeRouter } from "@podium-router/client/testing";
import type { FakeRouter, FakeRouterOptions } from "@podium-router/client/testing";
import { main } from "../cli.js";
import { createMemoryIo } from "./memory-io.js";

/** What one CLI run against a fake router produced. */
export interface FakeRun {
  code: number;
  stdout: string;
  stderr: string;
  fake: FakeRouter;
  /** The options the CLI built its client with (server URL, key, protocol). */
  clientOptions: RouterClientOptions | undefined;
}

/**
 * Runs `main(argv)` with the real client on an in-memory fake router (real interceptors, real wire
 * errors), so command specs cover the CLI, the client and the contract without a process or a port.
 */
export async function runWithFakeRouter(
  argv: string[],
  options: { router?: FakeRouterOptions | FakeRouter; isTTY?: boolean; env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<FakeRun> {
  const fake = options.router !== undefined && "service" in options.router ? options.router : createFakeRouter(options.router as FakeRouterOptions | undefined);
  const mem = createMemoryIo({ isTTY: options.isTTY ?? false, env: options.env ?? {}, ...(options.cwd !== undefined ? { cwd: options.cwd } : {}) });
  let clientOptions: RouterClientOptions | undefined;
  const code = await main(argv, mem.io, {
    createClient: (o) => {
      clientOptions = o;
      return createRouterClient({ ...o, transport: fake.transport });
    },
  });
  return { code, stdout: mem.stdout(), stderr: mem.stderr(), fake, clientOptions };
}
