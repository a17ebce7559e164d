import { parseArgs } from "node:util";
import { loadSettings, runAuditVerify } from "@podium-router/core";
import type { CliIo } from "../cli-io.js";

/** The usage of `podium-router audit verify`. */
export const auditVerifyUsage = `Usage: podium-router audit verify [--file FILE ...] [--settings FILE]

Checks the audit log's hash chain and names the first edited, inserted or deleted line. Runs on the router's
host, against the files themselves (no router needed).
  --file FILE       a file to check, in log order (repeatable; .gz files are inflated); default: the
                    settings' audit.path together with its rotated copies (<path>.N, <path>.N.gz)
  --settings FILE   the settings file to read audit.path from (default config/settings.yaml)

Exit status: 0 intact; 1 a line was edited, inserted or deleted; 2 a file could not be read.
`;

/**
 * `podium-router audit verify`: a local check of the tamper-evident chain. It is answered before the
 * client is built, since verifying needs the files, not the router.
 */
export async function auditVerifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values: { file?: string[]; settings?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { file: { type: "string", multiple: true }, settings: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr.write(`podium-router: ${(err as Error).message}\nRun "podium-router audit verify --help" for usage.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(auditVerifyUsage);
    return 0;
  }
  if (values.file && values.file.length > 0) return runAuditVerify(values.file, io);
  try {
    const { settings } = await loadSettings({ path: values.settings, env: io.env, cwd: io.cwd });
    return await runAuditVerify({ path: settings.audit.path }, io);
  } catch (err) {
    io.stderr.write(`podium-router: ${(err as Error).message}\n`);
    return 2;
  }
}
