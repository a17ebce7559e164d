// The `podium-router` CLI as a library: main() with injected I/O, for embedding and tests.
export { main, cliVersion, DEFAULT_SERVER_URL } from "./cli.js";
export type { CliDeps } from "./cli.js";
export type { CliIo, OutputStream } from "./cli-io.js";
export { parseArgs } from "./parse-args.js";
export type { ParseResult, ParsedCommand } from "./parse-args.js";
