/**
 * Process entry of `podium-sandbox` (bin/podium-sandbox.js imports the built copy): start the sandbox from
 * argv and close it cleanly on SIGTERM/SIGINT. Everything testable lives in cli.ts.
 */
import { runCli } from "./cli.js";

const { exitCode, sandbox } = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});

if (sandbox === undefined) {
  process.exitCode = exitCode;
} else {
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
