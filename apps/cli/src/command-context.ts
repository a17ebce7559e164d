import type { RouterClient } from "@podium-router/client";
import type { CliIo } from "./cli-io.js";

/** What a router command receives: the typed client, the injected I/O and the address for messages. */
export interface CommandContext {
  client: RouterClient;
  io: CliIo;
  /** The router's address, as resolved from --server, PODIUM_ROUTER_URL or the default. */
  serverUrl: string;
}

/** The timeout of each unary RPC the CLI sends: long enough for a cold verification, short of hanging. */
export const RPC_TIMEOUT_MS = 30_000;
