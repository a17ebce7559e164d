// The `podium-router` process: real streams, the environment and signals, handed to main().
import { constants } from "node:os";
import { main } from "./cli.js";
import { parseArgs } from "./parse-args.js";

const argv = process.argv.slice(2);
const parsed = parseArgs(argv);
// Only these run until told to stop; any other command is simply interrupted by a signal.
const longRunning = parsed.ok && (parsed.command === "serve" || parsed.command === "sandbox" || parsed.command === "dev");
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // A second signal, or one during a short command, stops at once, exiting 128 + the signal's number.
    if (!longRunning || controller.signal.aborted) process.exit(128 + constants.signals[signal]);
    controller.abort();
  });
}

// Output to a reader that went away (`podium-router audit … | head`, `| less` quit early) ends the command
// quietly with 0: there is no one left to tell anything. A long-running command stops as on SIGTERM, so the
// router still drains its calls and flushes its audit log.
const onOutputError = (err: NodeJS.ErrnoException): void => {
  if (err.code !== "EPIPE") throw err;
  if (!longRunning) process.exit(0);
  if (!controller.signal.aborted) controller.abort();
};
process.stdout.on("error", onOutputError);
process.stderr.on("error", onOutputError);

const code = await main(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stderr.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
  shutdown: controller.signal,
});
process.exitCode = code;
if (longRunning) {
  // Everything was closed; should a stray handle remain, do not hang after a clean stop.
  setTimeout(() => process.exit(code), 5_000).unref();
}
