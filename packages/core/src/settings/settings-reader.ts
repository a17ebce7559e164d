import { InvalidConfigError } from "@podium-router/errors";

/**
 * Reads one mapping of the settings file, key by key, and refuses keys nobody read. Each read names
 * the dotted key, the rule and, for an environment override, the variable when it fails
 * (`budgets.location.burst must be an integer >= 1 (set by PODIUM_ROUTER_BUDGETS__LOCATION__BURST)`).
 * The one settings toolkit: the core reads its sections with it, the server its `server` section.
 */
export interface SectionReader {
  /** The dotted path of this mapping ("" at the top). */
  readonly path: string;
  /** An integer in [min, max]; with `digitString`, a string of digits counts as its number too. */
  int(key: string, fallback: number, min: number, max?: number, opts?: { digitString?: boolean }): number;
  /** A non-empty string (or "" when `allowEmpty`); with `trim`, surrounding white space is dropped first. */
  string(key: string, fallback: string, opts?: { allowEmpty?: boolean; trim?: boolean; pattern?: RegExp; rule?: string }): string;
  /** true or false (also as the strings "true" and "false"). */
  bool(key: string, fallback: boolean): boolean;
  /** An http(s) URL without credentials, query or fragment, returned without a trailing slash; "" when `allowEmpty`. */
  url(key: string, fallback: string, opts?: { allowEmpty?: boolean }): string;
  oneOf<T extends string>(key: string, fallback: T, values: readonly T[]): T;
  /** A nested mapping; absent or null reads as empty. */
  section(key: string): SectionReader;
  /** Marks `key` as known and returns its raw value (for maps keyed by data, e.g. location uids). */
  raw(key: string): unknown;
  /** Throws InvalidConfigError for `key` (relative to this mapping) and `rule`, naming the variable that set it. */
  fail(key: string, rule: string): never;
  /** Throws for any key that was never read, with a hint for renamed and misspelt keys. */
  done(): void;
}

/** Where a dotted key's value came from, when not from the file (e.g. an environment variable). */
export type OriginOf = (dottedPath: string) => string | undefined;

/** Keys people reach for that live elsewhere or under another name; by dotted path or bare key. */
const RENAMED: Readonly<Record<string, string>> = {
  ttl: "verification.ttl_seconds",
  ttl_ms: "verification.ttl_seconds",
  "verification.ttl": "verification.ttl_seconds",
  "verification.ttl_ms": "verification.ttl_seconds",
  base_url: "upstream.base_url",
  "upstream.url": "upstream.base_url",
  "upstream.timeout_ms": "upstream.connect_timeout_ms, upstream.headers_timeout_ms and upstream.body_timeout_ms",
  "upstream.timeout": "upstream.connect_timeout_ms, upstream.headers_timeout_ms and upstream.body_timeout_ms",
  "upstream.version": "upstream.podium_version",
  podium_version: "upstream.podium_version",
  "upstream.retries": "upstream.retry.max_attempts",
  "upstream.max_retries": "upstream.retry.max_attempts",
  "upstream.pool_size": "upstream.connections",
  "upstream.max_body_bytes": "upstream.max_request_body_bytes",
  "upstream.max_body_depth": "upstream.max_request_body_depth",
  "oauth.token_url": "upstream.token_url",
  token_url: "upstream.token_url",
  "oauth.expiry_margin_ms": "oauth.expiry_margin_seconds",
  "budgets.rate_per_minute": "budgets.location.rate_per_minute",
  "budgets.burst": "budgets.location.burst",
  "audit.file": "audit.path",
  "credentials.store": "credentials.backend",
  "credentials.file": "credentials.path",
  "onboarding.parallelism": "onboarding.concurrency",
  "server.address": "server.host",
  "server.listen": "server.host and server.port",
  "server.max_body_bytes": "server.max_request_bytes",
  "server.shutdown_timeout_ms": "server.shutdown_grace_ms",
  "server.keys": "server.api_keys",
  "oauth_app": "oauth_apps",
  apps: "oauth_apps",
  "oauth.apps": "oauth_apps",
  "server.allow_insecure_secrets": "server.allow_cleartext_secrets",
  "server.callback_url": "server.public_url",
  "server.redirect_uri": "server.public_url",
  "server.connection_limit": "server.max_connections",
  "server.keep_alive_timeout_ms": "server.idle_timeout_ms",
  "server.headers_timeout_ms": "server.header_timeout_ms",
  "server.max_concurrent_streams": "server.http2_max_concurrent_streams",
  "server.tls.cert": "server.tls.cert_file",
  "server.tls.key": "server.tls.key_file",
  "isolation.ownership_ttl": "isolation.ownership_ttl_seconds",
  "isolation.ownership_ttl_ms": "isolation.ownership_ttl_seconds",
  "isolation.ttl_seconds": "isolation.ownership_ttl_seconds",
  "isolation.cursor_key_ref": "isolation.cursor_key",
  "isolation.hmac_key": "isolation.cursor_key",
};

/** Largest delay a Node timer honours (2^31 - 1 ms); a larger value would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Creates the reader for `value`, a mapping (or absent) at `path`; `originOf` names where an overridden key came from. */
export function createSectionReader(value: unknown, path: string, originOf: OriginOf = () => undefined): SectionReader {
  const at = (key: string): string => (path === "" ? key : `${path}.${key}`);
  const fail = (dotted: string, rule: string): never => {
    const origin = originOf(dotted);
    throw new InvalidConfigError({}, origin === undefined ? `${dotted} ${rule}` : `${dotted} ${rule} (set by ${origin})`);
  };
  if (value !== undefined && value !== null && (typeof value !== "object" || Array.isArray(value))) {
    fail(path === "" ? "the settings document" : path, "must be a mapping");
  }
  const obj = (value ?? {}) as Record<string, unknown>;
  const known = new Set<string>();
  /** The value at key; null counts as absent, so `key:` with nothing after it keeps the default. */
  const get = (key: string): unknown => {
    known.add(key);
    return Object.hasOwn(obj, key) ? (obj[key] ?? undefined) : undefined;
  };
  const got = (v: unknown): string => (typeof v === "string" ? ` (got ${JSON.stringify(v.slice(0, 40))})` : ` (got ${String(v)})`);

  return {
    path,
    int(key, fallback, min, max = Number.MAX_SAFE_INTEGER, opts = {}) {
      const raw = get(key);
      if (raw === undefined) return fallback;
      const v = opts.digitString && typeof raw === "string" && /^\d{1,15}$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
        fail(at(key), `must be an integer ${range}${got(v)}`);
      }
      return v as number;
    },
    string(key, fallback, opts = {}) {
      const raw = get(key);
      if (raw === undefined) return fallback;
      const v = opts.trim && typeof raw === "string" ? raw.trim() : raw;
      if (typeof v !== "string" || (v === "" && !opts.allowEmpty)) return fail(at(key), "must be a non-empty string");
      if (opts.pattern && !opts.pattern.test(v)) fail(at(key), `${opts.rule ?? `must match ${opts.pattern}`}${got(v)}`);
      return v;
    },
    url(key, fallback, opts = {}) {
      const v = get(key);
      if (v === undefined) return fallback;
      if (v === "" && opts.allowEmpty) return "";
      // The value is not echoed: a URL may carry credentials.
      const rule = "must be an http:// or https:// URL without credentials, query or fragment";
      if (typeof v !== "string") return fail(at(key), rule);
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return fail(at(key), rule);
      }
      if ((u.protocol !== "http:" && u.protocol !== "https:") || u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "") {
        fail(at(key), rule);
      }
      return u.href.endsWith("/") ? u.href.slice(0, -1) : u.href;
    },
    bool(key, fallback) {
      const v = get(key);
      if (v === undefined) return fallback;
      if (v === true || v === "true") return true;
      if (v === false || v === "false") return false;
      return fail(at(key), `must be true or false${got(v)}`);
    },
    oneOf(key, fallback, values) {
      const v = get(key);
      if (v === undefined) return fallback;
      if (typeof v !== "string" || !(values as readonly string[]).includes(v)) fail(at(key), `must be one of ${values.join(" | ")}${got(v)}`);
      return v as (typeof values)[number];
    },
    section(key) {
      return createSectionReader(get(key), at(key), originOf);
    },
    raw(key) {
      return get(key);
    },
    fail(key, rule) {
      return fail(at(key), rule);
    },
    done() {
      for (const key of Object.keys(obj)) {
        if (known.has(key)) continue;
        const dotted = at(key);
        const hint = RENAMED[dotted] ?? RENAMED[key] ?? nearMiss(key, known);
        const origin = originOf(dotted);
        throw new InvalidConfigError(
          {},
          `unknown key ${dotted}${origin ? ` (set by ${origin})` : ""}; ${hint ? `use ${hint.includes(".") ? hint : at(hint)}` : `known keys here: ${[...known].join(", ")}`}`,
        );
      }
    },
  };
}

/** A known key that differs only in case, `-`/`_`, or by at most two edits. */
function nearMiss(key: string, known: Set<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const n = norm(key);
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    if (norm(k) === n) return k;
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
