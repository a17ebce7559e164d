import { isAbsolute, resolve } from "node:path";
import { createSectionReader, isLocationUid, isOAuthAppName, isOrgSlug, ORG_SLUG_RULE, type OriginOf, type SectionReader } from "@podium-router/core";
import { InvalidConfigError } from "@podium-router/errors";
import { LocationRouterService } from "@podium-router/proto";

/** Loopback by default: without TLS the router must not be reachable from other hosts by accident. */
export const DEFAULT_HOST = "127.0.0.1";
/** The port the README examples and `podium-router dev` use. */
export const DEFAULT_PORT = 8080;
/** 1 MiB: Podium's own request bodies are far smaller, and the limit bounds memory per request. */
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
/** 10 s: long enough for in-flight calls (upstream timeouts are 15 s only in the worst case) behind a load balancer's drain. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/**
 * 1024: the common file-descriptor soft limit, and about 20 MB of memory if every one sits idle (an idle
 * HTTP/2 connection costs the process about 20 KB). At the cap a new connection replaces the one idle
 * the longest, so idle connections never lock callers out.
 */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** 60 s without an open request or stream closes a connection; clients reconnect on their next call. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** 10 s to finish the TLS handshake, show which protocol it speaks, or send an HTTP/1.1 request's headers. */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/** 100 streams per HTTP/2 connection, the value RFC 9113 recommends as the least to allow. */
export const DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS = 100;
/** An HTTP/2 connection with open streams but no frames for 2 minutes gets a PING (and TCP keepalive probes start). */
export const DEFAULT_KEEPALIVE_TIME_MS = 120_000;
/** A PING unanswered for 20 s means the peer is gone: the connection is closed and its calls cancelled. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;

/** The names an API key grant may list in `rpcs`: the methods of LocationRouterService. */
export const grantableRpcs: readonly string[] = Object.freeze(LocationRouterService.methods.map((m) => m.name));

/** One API key: who the caller is (`name`, written to audit lines) and what it may do. */
export interface ApiKeyGrant {
  /** The caller's name, written to the audit line of every call it makes. */
  name: string;
  /** The key's SHA-256, lower-case hex. The key itself is never stored. */
  keySha256: string;
  /** The location uids it may act on, or "*" for all. */
  locations: "*" | readonly string[];
  /** The LocationRouterService RPCs it may call, or "*" for all. */
  rpcs: "*" | readonly string[];
  /**
   * The OAuth apps (names under the settings' `oauth_apps`) it may onboard locations with, or "*" for all.
   * @default [] (none: OnboardLocations and BeginAuthorization are refused for every app)
   */
  oauthApps: "*" | readonly string[];
  /**
   * The organizations (org slugs) whose organization-level operations it may run through a location of that
   * organization (issue 10: organization, users, tag and attribute definitions, products, organization webhooks,
   * templates, campaigns without locations), or "*" for all. Carried to the core as `CallContext.organizations`.
   * @default [] (none: every organization-level operation is refused)
   */
  organizations: "*" | readonly string[];
}

/** TLS files; when both are set the port serves HTTPS (HTTP/2 by ALPN, and HTTP/1.1). */
export interface ServerTlsSettings {
  certFile: string;
  keyFile: string;
}

/** The validated `server` section of the settings. */
export interface ServerSettings {
  /** @default "127.0.0.1" */
  host: string;
  /** 0 picks a free port. @default 8080 */
  port: number;
  /** Unset: cleartext (h2c and HTTP/1.1). */
  tls: ServerTlsSettings | undefined;
  /** Largest request body accepted, in bytes. @default 1048576 */
  maxRequestBytes: number;
  /** How long close() waits for in-flight calls before cutting connections. @default 10000 */
  shutdownGraceMs: number;
  /** Serve gRPC server reflection (v1 and v1alpha) without a key. @default true */
  reflection: boolean;
  /**
   * Which engine answers gRPC over HTTP/2. "grpc-js" is several times faster (see the README's
   * figures); "connect" keeps everything on connect-node. @default "grpc-js"
   */
  grpcEngine: "grpc-js" | "connect";
  /** The API keys; none means every RPC but health (and reflection) is refused. @default [] */
  apiKeys: ApiKeyGrant[];
  /**
   * The router's address as a browser reaches it (behind a proxy, the proxy's); Podium's consent redirects to
   * `<public_url>/oauth/callback`. @default the listening address, `http(s)://<host>:<port>`
   */
  publicUrl: string | undefined;
  /** Open client connections at most; at the cap the longest-idle one is closed for a new one, or the new one refused. @default 1024 */
  maxConnections: number;
  /** A connection without an open request (HTTP/1.1) or stream (HTTP/2) is closed after this. @default 60000 */
  idleTimeoutMs: number;
  /** Time to finish the TLS handshake, name the protocol, or (HTTP/1.1) send a request's headers. @default 10000 */
  headerTimeoutMs: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised on every HTTP/2 connection. @default 100 */
  http2MaxConcurrentStreams: number;
  /**
   * Accept secret values (OnboardLocations' `refresh_token`) over a cleartext connection from a non-loopback
   * address. Off, such a request is refused: the token crossed the network readable by anyone on the path. Turn
   * it on only behind a TLS-terminating proxy that forwards in cleartext on a trusted network. @default false
   */
  allowCleartextSecrets: boolean;
  /** Quiet time before an HTTP/2 connection with open streams is PINGed (and TCP keepalive's idle time); 0 = off. @default 120000 */
  keepaliveTimeMs: number;
  /** How long a PING may go unanswered before the connection is closed. @default 20000 */
  keepaliveTimeoutMs: number;
}

/** Fully default settings: loopback, port 8080, no keys. */
export const defaultServerSettings: Readonly<ServerSettings> = Object.freeze({
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
  tls: undefined,
  maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
  shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
  reflection: true,
  grpcEngine: "grpc-js",
  apiKeys: [],
  publicUrl: undefined,
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
  headerTimeoutMs: DEFAULT_HEADER_TIMEOUT_MS,
  http2MaxConcurrentStreams: DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS,
  allowCleartextSecrets: false,
  keepaliveTimeMs: DEFAULT_KEEPALIVE_TIME_MS,
  keepaliveTimeoutMs: DEFAULT_KEEPALIVE_TIMEOUT_MS,
});

const HOUR_MS = 60 * 60_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A list of "*" alone, or of distinct items that pass `check`. */
function listAt(r: SectionReader, key: string, check: (item: string) => boolean, what: string): "*" | string[] {
  const value = r.raw(key);
  if (value === "*") return "*";
  if (!Array.isArray(value) || value.length === 0) return r.fail(key, `must be ["*"] or a non-empty list of ${what}`);
  const items = value.map((item: unknown, i) => {
    if (typeof item !== "string" || !(item === "*" || check(item))) r.fail(`${key}[${i}]`, `must be "*" or one of ${what}`);
    return item as string;
  });
  if (items.includes("*")) {
    if (items.length > 1) r.fail(key, `must be ["*"] alone or list ${what} without "*"`);
    return "*";
  }
  return [...new Set(items)];
}

/** Absent or `[]`: deny by default, no app (or organization) is granted. */
const noneGranted = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.length === 0);

function readApiKey(r: SectionReader): ApiKeyGrant {
  const raw = r.raw("key") ?? r.raw("api_key");
  // A plaintext key in the settings file would defeat hashing; refuse it without echoing it.
  if (raw !== undefined) throw new InvalidConfigError({}, `unsupported ${r.path}.key: store the key's SHA-256 hex as ${r.path}.key_sha256 (printf %s "$KEY" | sha256sum)`);
  const name = r.string("name", "", { allowEmpty: true, trim: true });
  if (name === "") r.fail("name", "must be a non-empty string");
  const rawHash = r.raw("key_sha256");
  const keySha256 = typeof rawHash === "string" ? rawHash.trim().toLowerCase() : "";
  if (!SHA256_HEX.test(keySha256)) r.fail("key_sha256", "must be 64 hexadecimal characters (the SHA-256 of the key)");
  const grant: ApiKeyGrant = {
    name,
    keySha256,
    locations: listAt(r, "locations", isLocationUid, "location uids"),
    rpcs: listAt(r, "rpcs", (s) => grantableRpcs.includes(s), `the RPCs ${grantableRpcs.join(", ")}`),
    oauthApps: noneGranted(r.raw("oauth_apps")) ? [] : listAt(r, "oauth_apps", isOAuthAppName, "OAuth app names (keys of oauth_apps)"),
    organizations: noneGranted(r.raw("organizations")) ? [] : listAt(r, "organizations", isOrgSlug, `org slugs (${ORG_SLUG_RULE})`),
  };
  r.done();
  return grant;
}

function readTls(r: SectionReader, baseDir: string | undefined): ServerTlsSettings | undefined {
  const certFile = r.string("cert_file", "", { allowEmpty: true, trim: true });
  const keyFile = r.string("key_file", "", { allowEmpty: true, trim: true });
  r.done();
  if (certFile === "" && keyFile === "") return undefined;
  if (certFile === "" || keyFile === "") r.fail("cert_file", `and ${r.path}.key_file must be set together`);
  // Like every path in the settings: relative to the settings file's directory (loadSettings' baseDir).
  const abs = (path: string): string => (baseDir === undefined || isAbsolute(path) ? path : resolve(baseDir, path));
  return { certFile: abs(certFile), keyFile: abs(keyFile) };
}

/** What the server section is checked against besides itself. */
export interface ServerSettingsContext {
  /** The names configured under `oauth_apps` (Settings.oauthApps): every name a key is granted must be one. */
  oauthApps?: Iterable<string> | undefined;
  /** Where relative TLS file paths resolve: loadSettings' `baseDir` (the settings file's directory). */
  baseDir?: string | undefined;
}

/**
 * Validates the raw `server` section (snake_case, as in settings.yaml) and returns it normalised and
 * fully populated. Throws InvalidConfigError naming the dotted key, the rule and (given `originOf`, as
 * `loadSettings` returns it) the environment variable that set it; never echoes a key. Relative TLS file paths
 * resolve against `baseDir` (loadSettings' `baseDir`: the settings file's directory) when it is given.
 */
export function validateServerSettings(raw: unknown, originOf?: OriginOf, context: ServerSettingsContext = {}): ServerSettings {
  const s = createSectionReader(raw, "server", originOf);
  const rawKeys = s.raw("api_keys") ?? [];
  if (!Array.isArray(rawKeys)) s.fail("api_keys", "must be a list");
  const apiKeys = (rawKeys as unknown[]).map((k, i) => readApiKey(createSectionReader(k, `server.api_keys[${i}]`, originOf)));
  const names = new Set<string>();
  const hashes = new Set<string>();
  const configured = context.oauthApps === undefined ? undefined : new Set(context.oauthApps);
  apiKeys.forEach((k, i) => {
    if (names.has(k.name)) s.fail(`api_keys[${i}].name`, `must be unique (${JSON.stringify(k.name)} is used twice)`);
    if (hashes.has(k.keySha256)) s.fail(`api_keys[${i}].key_sha256`, "must be unique (the same key is listed twice)");
    names.add(k.name);
    hashes.add(k.keySha256);
    if (configured !== undefined && k.oauthApps !== "*") {
      const missing = k.oauthApps.find((app) => !configured.has(app));
      if (missing !== undefined) s.fail(`api_keys[${i}].oauth_apps`, `names "${missing}", which is not configured under oauth_apps (configured: ${[...configured].join(", ") || "none"})`);
    }
  });
  const publicUrl = s.url("public_url", "", { allowEmpty: true });
  const settings: ServerSettings = {
    host: s.string("host", DEFAULT_HOST, { trim: true }),
    port: s.int("port", DEFAULT_PORT, 0, 65535, { digitString: true }),
    tls: readTls(s.section("tls"), context.baseDir),
    maxRequestBytes: s.int("max_request_bytes", DEFAULT_MAX_REQUEST_BYTES, 1024, 64 * 1024 * 1024, { digitString: true }),
    shutdownGraceMs: s.int("shutdown_grace_ms", DEFAULT_SHUTDOWN_GRACE_MS, 0, 10 * 60_000, { digitString: true }),
    reflection: s.bool("reflection", defaultServerSettings.reflection),
    grpcEngine: s.oneOf("grpc_engine", defaultServerSettings.grpcEngine, ["grpc-js", "connect"]),
    apiKeys,
    publicUrl: publicUrl === "" ? undefined : publicUrl,
    maxConnections: s.int("max_connections", DEFAULT_MAX_CONNECTIONS, 1, 1_000_000, { digitString: true }),
    idleTimeoutMs: s.int("idle_timeout_ms", DEFAULT_IDLE_TIMEOUT_MS, 100, 24 * HOUR_MS, { digitString: true }),
    headerTimeoutMs: s.int("header_timeout_ms", DEFAULT_HEADER_TIMEOUT_MS, 100, 5 * 60_000, { digitString: true }),
    http2MaxConcurrentStreams: s.int("http2_max_concurrent_streams", DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS, 1, 10_000, { digitString: true }),
    allowCleartextSecrets: s.bool("allow_cleartext_secrets", defaultServerSettings.allowCleartextSecrets),
    keepaliveTimeMs: keepaliveAt(s),
    keepaliveTimeoutMs: s.int("keepalive_timeout_ms", DEFAULT_KEEPALIVE_TIMEOUT_MS, 100, 10 * 60_000, { digitString: true }),
  };
  s.done();
  return settings;
}

// 0 turns keepalive off; anything else must leave room for the PING's round trip.
function keepaliveAt(s: SectionReader): number {
  const n = s.int("keepalive_time_ms", DEFAULT_KEEPALIVE_TIME_MS, 0, 24 * HOUR_MS, { digitString: true });
  if (n !== 0 && n < 100) s.fail("keepalive_time_ms", "must be 0 (off) or an integer from 100 to 86400000");
  return n;
}
