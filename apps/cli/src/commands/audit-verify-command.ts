import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createAuditCheckpoints, loadSettings, runAuditVerify, validateSettings, type Settings } from "@podium-router/core";
import type { CliIo } from "../cli-io.js";
import { DEFAULT_DEV_STATE_DIR, devStatePaths } from "../dev-state.js";

/** The usage of `podium-router audit verify`. */
export const auditVerifyUsage = `Usage: podium-router audit verify [--state-dir DIR | --settings FILE] [--file FILE ...]

Checks the audit log's hash chain and names the first edited, inserted or deleted line; checks the first kept
line against the anchors and the end against the last checkpoint (kept outside the log: PostgreSQL with the
postgres credentials backend, else audit.checkpoints.path), with their HMAC when audit.checkpoints.hmac_key is
set; lists writes whose outcome is unknown (an intent line no outcome line follows). Prints every file it read.
Runs on the router's host, against the files themselves (no router needed).
  --state-dir DIR   the log \`podium-router dev --state-dir DIR\` writes (DIR/audit/audit.jsonl)
  --settings FILE   the settings file \`serve\` reads (default config/settings.yaml, or PODIUM_ROUTER_SETTINGS)
  --file FILE       a file to check, in log order (repeatable; .gz files are inflated); default: audit.path
                    with its rotated copies (<path>.N, <path>.N.gz)

Exit status: 0 intact; 1 a line was edited, inserted or deleted, lines are missing after the last checkpoint,
or an anchor or checkpoint was not made with the key; 2 no audit file was found (the path is named) or a file
could not be read.
`;

/**
 * `podium-router audit verify`: a local check of the tamper-evident chain. It is answered before the
 * client is built, since verifying needs the files, not the router.
 */
export async function auditVerifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values: { file?: string[]; settings?: string; "state-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { file: { type: "string", multiple: true }, settings: { type: "string" }, "state-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
    }));
    if (values.settings !== undefined && values["state-dir"] !== undefined) throw new Error("give --state-dir or --settings, not both");
  } catch (err) {
    io.stderr.write(`podium-router: ${(err as Error).message}\nRun "podium-router audit verify --help" for usage.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(auditVerifyUsage);
    return 0;
  }
  let settings: Settings;
  try {
    settings = await settingsFor(values, io);
  } catch (err) {
    io.stderr.write(`podium-router: ${(err as Error).message}\n`);
    return 2;
  }
  const files = values.file?.map((f) => resolve(io.cwd, f));
  const path = resolve(io.cwd, settings.audit.path);
  // Relative paths in the settings are the working directory's, as for `serve`.
  const cp = settings.audit.checkpoints;
  settings = { ...settings, audit: { ...settings.audit, path, checkpoints: { ...cp, path: resolve(io.cwd, cp.path) } } };
  let checkpoints;
  try {
    checkpoints = await createAuditCheckpoints(settings, io.env);
  } catch (err) {
    io.stderr.write(`podium-router: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    let seals;
    try {
      seals = await checkpoints.store.read();
    } catch (err) {
      io.stderr.write(`podium-router: audit verify: cannot read the anchors and checkpoints in ${checkpoints.store.where}: ${(err as Error).message}\n`);
      return 2;
    }
    const code = await runAuditVerify(files ?? { path }, io, { seals, key: checkpoints.key, sealsWhere: checkpoints.store.where });
    if (code === 2 && files === undefined && values["state-dir"] === undefined && values.settings === undefined) await hintDevLog(io);
    return code;
  } finally {
    await checkpoints.store.close().catch(() => undefined);
  }
}

/** The settings `dev --state-dir DIR` runs with (for the audit paths), or those `serve` reads. */
async function settingsFor(values: { settings?: string; "state-dir"?: string }, io: CliIo): Promise<Settings> {
  const stateDir = values["state-dir"];
  if (stateDir !== undefined) {
    const { auditPath, credentialsPath } = devStatePaths(resolve(io.cwd, stateDir));
    return validateSettings({ audit: { path: auditPath }, credentials: { backend: "file", path: credentialsPath } });
  }
  return (await loadSettings({ path: values.settings, env: io.env, cwd: io.cwd })).settings;
}

/** No log where the settings point: if `dev`'s default state directory has one, say how to check it. */
async function hintDevLog(io: CliIo): Promise<void> {
  const devLog = resolve(io.cwd, devStatePaths(DEFAULT_DEV_STATE_DIR).auditPath);
  if (await access(devLog).then(() => true, () => false)) {
    io.stderr.write(`podium-router: \`podium-router dev\` writes its log to ${devLog}: run "podium-router audit verify --state-dir ${DEFAULT_DEV_STATE_DIR}"\n`);
  }
}
