import { access } from "node:fs/promises";
import { AuditChainVerifier } from "./audit-chain-verifier.js";
import { sealSigned, type AuditSeals } from "./audit-checkpoints.js";
import { AuditLineSplitter, listAuditFiles, readAuditBytes, type AuditFile } from "./audit-files.js";
import type { AuditVerifyResult } from "./audit-verify-result.js";

export type { AuditChainBreak, AuditVerifyResult } from "./audit-verify-result.js";

/** What verification knows from outside the log: the anchors and last checkpoint, and the key that signs them. */
export interface AuditVerifyOptions {
  /** From the checkpoint store; when given, the first kept line must start at genesis or at an anchor. */
  seals?: AuditSeals | undefined;
  /** The HMAC key: every anchor and checkpoint must carry its HMAC. */
  key?: Uint8Array | undefined;
  /** Names the checkpoint store in messages. */
  sealsWhere?: string | undefined;
}

/**
 * Verifies the hash chain of an audit log and names the first broken line. Give the files in log order
 * (oldest first; `.gz` ones are inflated), or `{ path }` of the live file to check it with its rotated
 * copies (`<path>.N`, `<path>.N.gz`, oldest first). Rejects when a file cannot be read.
 */
export async function verifyAuditChain(input: readonly string[] | { path: string }, options: AuditVerifyOptions = {}): Promise<AuditVerifyResult> {
  const files: AuditFile[] = Array.isArray(input)
    ? (input as readonly string[]).map((path) => ({ path, rank: 0, gz: path.endsWith(".gz") }))
    : await existing(await listAuditFiles((input as { path: string }).path));
  const { seals, key } = options;
  if (seals !== undefined && key !== undefined) {
    const where = options.sealsWhere ?? "the checkpoint store";
    for (const seal of [...seals.anchors, ...(seals.checkpoint === undefined ? [] : [seals.checkpoint])]) {
      if (sealSigned(seal, key)) continue;
      return {
        ok: false,
        file: where,
        line: 0,
        reason: "forged",
        message: `${where} holds ${seal.kind === "anchor" ? "an anchor" : "a checkpoint"} of ${seal.ts} without the HMAC of audit.checkpoints.hmac_key: it was written without the key (a regenerated chain?)`,
        lines: 0,
      };
    }
  }
  const v = new AuditChainVerifier(seals);
  const cutLines: { file: string; line: number }[] = [];
  let index = 0;
  for (const file of files) {
    let lineNo = 0;
    const fileStart = index++ > 0;
    const splitter = new AuditLineSplitter();
    const sink = {
      line: (text: string, s: number, e: number) => {
        lineNo++;
        if (v.broken === undefined) v.line(file.path, lineNo, fileStart && lineNo === 1, text.slice(s, e));
      },
      overlong: () => {
        lineNo++;
        if (v.broken === undefined) v.line(file.path, lineNo, fileStart && lineNo === 1, "");
      },
    };
    for await (const chunk of readAuditBytes(file)) {
      splitter.push(chunk, sink);
      if (v.broken !== undefined) return v.broken;
    }
    if (splitter.carried > 0) cutLines.push({ file: file.path, line: lineNo + 1 });
  }
  v.end();
  if (v.broken !== undefined) return v.broken;
  const checkpoint = seals?.checkpoint === undefined ? undefined : { ts: seals.checkpoint.ts, linesAfter: v.linesAfterCheckpoint };
  return {
    ok: true,
    files: files.length,
    lines: v.lines,
    lastHash: v.prev,
    fromGenesis: v.fromGenesis || v.lines === 0,
    cutLines,
    paths: files.map((f) => f.path),
    anchored: v.anchored,
    checkpoint,
    outcomeUnknown: v.intents.take(),
  };
}

/** The listed files that exist (the live file may not have been created yet). */
async function existing(files: AuditFile[]): Promise<AuditFile[]> {
  const out: AuditFile[] = [];
  for (const f of files) if (await access(f.path).then(() => true, () => false)) out.push(f);
  return out;
}

/** Where runAuditVerify() writes: the CLI's stdout and stderr. */
export interface AuditVerifyIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Request ids of unknown outcome printed at most; the count says how many more. */
const MAX_UNKNOWN_SHOWN = 100;

/**
 * `podium-router audit verify [--file …]`: verifies the chain and prints the outcome, and every file it read.
 * Returns the exit code: 0 intact, 1 broken (the first broken line is named on stderr), 2 no audit file was
 * found (the path it looked at is named) or a file could not be read. Intent lines without an outcome line
 * are listed (outcome unknown); they are not a break.
 */
export async function runAuditVerify(input: readonly string[] | { path: string }, io: AuditVerifyIo, options: AuditVerifyOptions = {}): Promise<number> {
  let result: AuditVerifyResult;
  try {
    result = await verifyAuditChain(input, options);
  } catch (err) {
    io.stderr.write(`podium-router: audit verify: ${(err as Error).message}\n`);
    return 2;
  }
  if (result.ok && result.files === 0) {
    const path = Array.isArray(input) ? String(input[0]) : (input as { path: string }).path;
    io.stderr.write(`podium-router: audit verify: no audit log at ${path} (nor rotated copies ${path}.N); nothing was verified. Pass --state-dir, --settings or --file to name the log\n`);
    return 2;
  }
  if (!result.ok) {
    io.stderr.write(`podium-router: audit chain broken: ${result.reason}: ${result.message} (${result.lines} line(s) before it chain)\n`);
    return 1;
  }
  for (const path of result.paths) io.stdout.write(`read ${path}\n`);
  const start = result.fromGenesis
    ? "from the first line of the log"
    : result.anchored
      ? "from the anchored start of the kept trail (older files were removed)"
      : "from a line no longer kept (older files were removed; no anchors were checked)";
  io.stdout.write(`audit chain intact: ${result.lines} line(s) in ${result.files} file(s), ${start}\n`);
  if (result.lastHash !== undefined) io.stdout.write(`last hash: ${result.lastHash}\n`);
  if (result.checkpoint !== undefined) io.stdout.write(`last checkpoint: ${result.checkpoint.ts}, found; ${result.checkpoint.linesAfter} line(s) after it\n`);
  else if (options.seals !== undefined) io.stdout.write(`note: no checkpoint recorded yet in ${options.sealsWhere ?? "the checkpoint store"}: lines cut from the end cannot be detected\n`);
  if (options.seals !== undefined && options.key === undefined) io.stdout.write("note: anchors and checkpoints were not checked against an HMAC key (audit.checkpoints.hmac_key is not set)\n");
  for (const cut of result.cutLines) io.stdout.write(`note: ${cut.file} line ${cut.line} was cut short by an interrupted write (not a record)\n`);
  const unknown = result.outcomeUnknown;
  if (unknown.length > 0) {
    io.stdout.write(`outcome unknown: ${unknown.length} write(s) left for Podium and no outcome line follows their intent line (a crash in between); check them with Podium by request id:\n`);
    for (const rid of unknown.slice(0, MAX_UNKNOWN_SHOWN)) io.stdout.write(`  outcome unknown: ${rid}\n`);
    if (unknown.length > MAX_UNKNOWN_SHOWN) io.stdout.write(`  … and ${unknown.length - MAX_UNKNOWN_SHOWN} more\n`);
  }
  return 0;
}
