import type { Faults, ResolvedFaults } from "./faults.js";
import { InvalidFaultsError, validateFaults } from "./faults.js";
import type { SandboxFixtureView } from "./fixture-view.js";
import type { RawBody, Reply } from "./http-io.js";
import type { LedgerEntry } from "./ledger.js";
import type { AddedGrant, AddGrantInput } from "./sandbox-model.js";

/** Run-time counters, as `GET /_sandbox/stats` returns them. */
export interface SandboxStats {
  /** Successful refresh_token grants per grant id (single-flight tests count these). */
  tokenRefreshes: Record<string, number>;
  /** Podium requests (oauth and v4) received, admin requests excluded. */
  requests: number;
}

/** The in-process admin surface the HTTP admin API mirrors. @internal */
export interface SandboxAdmin {
  ledger(sinceSeq?: number): LedgerEntry[];
  clearLedger(): number;
  readonly fixture: SandboxFixtureView;
  addGrant(input: AddGrantInput): AddedGrant;
  faults(): ResolvedFaults;
  setFaults(patch: Faults): ResolvedFaults;
  resetFaults(): ResolvedFaults;
  stats(): SandboxStats;
}

const badRequest = (message: string): Reply => ({ status: 400, body: { error: message } });

function parseJson(raw: RawBody): { ok: true; value: unknown } | { ok: false; reply: Reply } {
  if (raw.tooLarge) return { ok: false, reply: badRequest("body too large") };
  try {
    return { ok: true, value: raw.text === null ? {} : JSON.parse(raw.text) };
  } catch {
    return { ok: false, reply: badRequest("body is not valid JSON") };
  }
}

function readAddGrant(value: unknown): AddGrantInput | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "body must be an object";
  const v = value as Record<string, unknown>;
  const locations = v["locations"];
  const isNames = Array.isArray(locations) && locations.every((n) => typeof n === "string" && n !== "");
  if (!(isNames || (typeof locations === "number" && Number.isInteger(locations) && locations >= 0))) {
    return "locations must be a count (integer >= 0) or an array of location names";
  }
  const input: AddGrantInput = { locations: locations as number | string[] };
  for (const key of ["orgSlug", "clientId", "userUid"] as const) {
    if (v[key] === undefined) continue;
    if (typeof v[key] !== "string" || v[key] === "") return `${key} must be a non-empty string`;
    input[key] = v[key] as string;
  }
  if (v["scopes"] !== undefined) {
    if (!Array.isArray(v["scopes"]) || !v["scopes"].every((s) => typeof s === "string")) return "scopes must be an array of strings";
    input.scopes = v["scopes"] as string[];
  }
  return input;
}

/**
 * Answer `/_sandbox/*` (the caller has checked the peer is loopback): ledger, fixture, grants, faults, stats.
 * Answers are plain JSON; errors are `{error}` with 400 or 404.
 */
export function handleAdmin(admin: SandboxAdmin, method: string, path: string, search: string, raw: RawBody): Reply {
  const key = `${method} ${path.replace(/\/+$/, "")}`;
  switch (key) {
    case "GET /_sandbox/ledger": {
      const since = new URLSearchParams(search).get("since");
      if (since !== null && !/^\d+$/.test(since)) return badRequest("since must be a non-negative integer");
      return { status: 200, body: { entries: admin.ledger(since === null ? undefined : Number(since)) } };
    }
    case "DELETE /_sandbox/ledger":
      return { status: 200, body: { cleared: admin.clearLedger() } };
    case "GET /_sandbox/fixture":
      return { status: 200, body: admin.fixture };
    case "POST /_sandbox/grants": {
      const parsed = parseJson(raw);
      if (!parsed.ok) return parsed.reply;
      const input = readAddGrant(parsed.value);
      if (typeof input === "string") return badRequest(input);
      try {
        return { status: 200, body: admin.addGrant(input) };
      } catch (err) {
        return badRequest((err as Error).message);
      }
    }
    case "GET /_sandbox/faults":
      return { status: 200, body: admin.faults() };
    case "PUT /_sandbox/faults": {
      const parsed = parseJson(raw);
      if (!parsed.ok) return parsed.reply;
      try {
        return { status: 200, body: admin.setFaults(validateFaults(parsed.value)) };
      } catch (err) {
        if (err instanceof InvalidFaultsError) return badRequest(err.message);
        throw err;
      }
    }
    case "DELETE /_sandbox/faults":
      return { status: 200, body: admin.resetFaults() };
    case "GET /_sandbox/stats":
      return { status: 200, body: admin.stats() };
    default:
      return { status: 404, body: { error: `no admin route ${method} ${path}` } };
  }
}
