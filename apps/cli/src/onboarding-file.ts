import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { isOAuthAppName, OAUTH_APP_NAME_RULE } from "@podium-router/core/ids";
import { UsageError } from "./cli-error.js";
import { parseCsv } from "./format/csv.js";
import type { OnboardEntry } from "./parse-args.js";

/** The columns (CSV) or keys (JSON) of a bulk onboarding file, all required. */
export const onboardingColumns = ["location_uid", "org_slug", "oauth_app", "refresh_token_file"] as const;

type Column = (typeof onboardingColumns)[number];
type Row = { line: number | undefined; values: Partial<Record<string, unknown>> };

/** Columns of the old format, which named where the router should read secrets; callers now name an app. */
const removedColumns = new Set(["client_id_ref", "client_secret_ref"]);
const removedHint = "callers never name a secret: put the name of an app configured on the router (its oauth_apps settings) in an oauth_app column instead";

/**
 * Reads and checks a bulk onboarding file (`.csv` or `.json`) before anything is sent. Bad input — an
 * unreadable file, bad JSON, a missing or unknown column, an empty value, a malformed app name, a
 * duplicate location_uid — throws a UsageError naming the file and line. Refresh-token paths name files on
 * this machine, resolved against the bulk file's directory; the command reads them and sends the tokens.
 */
export async function readOnboardingFile(path: string, cwd: string): Promise<OnboardEntry[]> {
  const file = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const ext = extname(file).toLowerCase();
  const rows = ext === ".csv" ? csvRows(path, text) : ext === ".json" ? jsonRows(path, text) : undefined;
  if (rows === undefined) throw new UsageError(`${path}: the file must end in .csv or .json`);
  if (rows.length === 0) throw new UsageError(`${path}: no locations in the file`);
  return checkRows(path, rows, dirname(file));
}

/** Makes the refresh-token path of a command-line entry absolute against the current directory. */
export function resolveEntryPaths(entry: OnboardEntry, cwd: string): OnboardEntry {
  return { ...entry, refreshTokenFile: resolve(cwd, entry.refreshTokenFile) };
}

function csvRows(path: string, text: string): Row[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    throw new UsageError(`${path}:${(err as Error).message.replace(/^line /, "")}`);
  }
  const [header, ...body] = records;
  if (header === undefined) return [];
  const names = header.fields.map((f) => f.trim());
  for (const name of names) {
    if (removedColumns.has(name)) throw new UsageError(`${path}:${header.line}: the column "${name}" was removed; ${removedHint}`);
    if (!(onboardingColumns as readonly string[]).includes(name)) {
      throw new UsageError(`${path}:${header.line}: unknown column "${name}"; the columns are ${onboardingColumns.join(",")}`);
    }
  }
  for (const column of onboardingColumns) {
    if (!names.includes(column)) throw new UsageError(`${path}:${header.line}: missing column "${column}"`);
  }
  return body.map((r) => {
    if (r.fields.length !== names.length) {
      throw new UsageError(`${path}:${r.line}: expected ${names.length} fields, found ${r.fields.length}`);
    }
    return { line: r.line, values: Object.fromEntries(names.map((n, i) => [n, r.fields[i]!.trim()])) };
  });
}

function jsonRows(path: string, text: string): Row[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = position === undefined ? "" : `:${lineAt(text, Number(position))}`;
    throw new UsageError(`${path}${where}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new UsageError(`${path}:1: expected a JSON array of locations`);
  const lines = elementLines(text);
  return data.map((value, i) => {
    const line = lines[i];
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new UsageError(`${path}:${line ?? 1}: element ${i} must be an object with the keys ${onboardingColumns.join(", ")}`);
    }
    const values = value as Record<string, unknown>;
    for (const key of Object.keys(values)) {
      if (removedColumns.has(key)) throw new UsageError(`${path}:${line ?? "?"}: the key "${key}" was removed; ${removedHint}`);
      if (!(onboardingColumns as readonly string[]).includes(key)) throw new UsageError(`${path}:${line ?? "?"}: unknown key "${key}"; the keys are ${onboardingColumns.join(", ")}`);
    }
    return { line, values };
  });
}

function checkRows(path: string, rows: Row[], dir: string): OnboardEntry[] {
  const firstLine = new Map<string, number | undefined>();
  return rows.map(({ line, values }) => {
    const at = `${path}:${line ?? "?"}`;
    const get = (column: Column): string => {
      const v = values[column];
      if (v === undefined) throw new UsageError(`${at}: missing ${column}`);
      if (typeof v !== "string" || v.trim() === "") throw new UsageError(`${at}: ${column} must be a non-empty string`);
      return v.trim();
    };
    const locationUid = get("location_uid");
    if (firstLine.has(locationUid)) {
      throw new UsageError(`${at}: duplicate location_uid ${locationUid} (first on line ${firstLine.get(locationUid) ?? "?"})`);
    }
    firstLine.set(locationUid, line);
    const orgSlug = get("org_slug");
    const oauthApp = get("oauth_app");
    // Never echo a bad value: it may be a secret pasted into the wrong column.
    if (!isOAuthAppName(oauthApp)) throw new UsageError(`${at}: oauth_app must name an OAuth app configured on the router (${OAUTH_APP_NAME_RULE})`);
    return { locationUid, orgSlug, oauthApp, refreshTokenFile: resolve(dir, get("refresh_token_file")) };
  });
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === "\n") line++;
  return line;
}

/** The line each element of a top-level JSON array starts on (the text is known to be valid JSON). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectElement && !/\s/.test(c) && c !== "]") {
      lines.push(line);
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectElement = true;
  }
  return lines;
}
