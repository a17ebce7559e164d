import { InvalidConfigError } from "@podium-router/core/errors";
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
  keepaliveTimeMs: DEFAULT_KEEPALIVE_TIME_MS,
  keepaliveTimeoutMs: DEFAULT_KEEPALIVE_TIMEOUT_MS,
});

const knownKeys = [
  "host",
  "port",
  "tls",
  "max_request_bytes",
  "shutdown_grace_ms",
  "reflection",
  "grpc_engine",
  "api_keys",
  "public_url",
  "max_connections",
  "idle_timeout_ms",
  "header_timeout_ms",
  "http2_max_concurrent_streams",
  "keepalive_time_ms",
  "keepalive_timeout_ms",
];
/** Keys people plausibly write instead of the real ones, with the hint to give. */
const renamedKeys: Record<string, string> = {
  address: "host",
  listen: "host and port",
  max_body_bytes: "max_request_bytes",
  shutdown_timeout_ms: "shutdown_grace_ms",
  keys: "api_keys",
  callback_url: "public_url",
  redirect_uri: "public_url",
  connection_limit: "max_connections",
  keep_alive_timeout_ms: "idle_timeout_ms",
  headers_timeout_ms: "header_timeout_ms",
  max_concurrent_streams: "http2_max_concurrent_streams",
};
const HOUR_MS = 60 * 60_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UID = /^[A-Za-z0-9._-]{1,128}$/;

function fail(rule: string): never {
  throw new InvalidConfigError({}, rule);
}

function objectAt(path: string, value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${path} must be a mapping`);
  return value as Record<string, unknown>;
}

function rejectUnknown(path: string, obj: Record<string, unknown>, known: readonly string[], renamed: Record<string, string> = {}): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const hint = renamed[key];
    fail(hint === undefined ? `unsupported ${path}.${key} (known keys: ${known.join(", ")})` : `unsupported ${path}.${key}, use ${path}.${hint} instead`);
  }
}

// Environment overrides arrive as strings, so digit strings count as integers.
function intAt(path: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) fail(`${path} must be an integer from ${min} to ${max}`);
  return n;
}

function boolAt(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return fail(`${path} must be true or false`);
}

function stringAt(path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value.trim() === "") fail(`${path} must be a non-empty string`);
  return value.trim();
}

function listAt(path: string, value: unknown, check: (item: string) => boolean, what: string): "*" | string[] {
  if (value === "*") return "*";
  if (!Array.isArray(value) || value.length === 0) fail(`${path} must be ["*"] or a non-empty list of ${what}`);
  const items = value.map((item, i) => {
    if (typeof item !== "string" || !(item === "*" || check(item))) fail(`${path}[${i}] must be "*" or one of ${what}`);
    return item;
  });
  if (items.includes("*")) {
    if (items.length > 1) fail(`${path} must be ["*"] alone or list ${what} without "*"`);
    return "*";
  }
  return [...new Set(items)];
}

function validateApiKey(path: string, value: unknown): ApiKeyGrant {
  const obj = objectAt(path, value);
  // A plaintext key in the settings file would defeat hashing; refuse it without echoing it.
  if ("key" in obj || "api_key" in obj) fail(`unsupported ${path}.key: store the key's SHA-256 hex as ${path}.key_sha256 (printf %s "$KEY" | sha256sum)`);
  rejectUnknown(path, obj, ["name", "key_sha256", "locations", "rpcs"]);
  const name = stringAt(`${path}.name`, obj["name"], "");
  if (name === "") fail(`${path}.name must be a non-empty string`);
  const rawHash = obj["key_sha256"];
  const keySha256 = typeof rawHash === "string" ? rawHash.trim().toLowerCase() : "";
  if (!SHA256_HEX.test(keySha256)) fail(`${path}.key_sha256 must be 64 hexadecimal characters (the SHA-256 of the key)`);
  return {
    name,
    keySha256,
    locations: listAt(`${path}.locations`, obj["locations"], (s) => UID.test(s), "location uids"),
    rpcs: listAt(`${path}.rpcs`, obj["rpcs"], (s) => grantableRpcs.includes(s), `the RPCs ${grantableRpcs.join(", ")}`),
  };
}

// An origin with an optional path prefix: the callback path is appended to it.
function publicUrlAt(path: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  // The value is not echoed: a URL may carry credentials.
  const rule = `${path} must be an http:// or https:// URL without credentials, query or fragment`;
  let url: URL | undefined;
  try {
    url = typeof value === "string" ? new URL(value.trim()) : undefined;
  } catch {
    // reported below
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    fail(rule);
  }
  return url.href.replace(/\/+$/, "");
}

function validateTls(value: unknown): ServerTlsSettings | undefined {
  if (value === undefined || value === null) return undefined;
  const obj = objectAt("server.tls", value);
  rejectUnknown("server.tls", obj, ["cert_file", "key_file"], { cert: "cert_file", key: "key_file" });
  const certFile = typeof obj["cert_file"] === "string" ? obj["cert_file"].trim() : "";
  const keyFile = typeof obj["key_file"] === "string" ? obj["key_file"].trim() : "";
  if (certFile === "" && keyFile === "") return undefined;
  if (certFile === "" || keyFile === "") fail("server.tls.cert_file and server.tls.key_file must be set together");
  return { certFile, keyFile };
}

/**
 * Validates the raw `server` section (snake_case, as in settings.yaml) and returns it normalised and
 * fully populated. Throws InvalidConfigError naming the dotted key and the rule; never echoes a key.
 */
export function validateServerSettings(raw: unknown): ServerSettings {
  if (raw === undefined || raw === null) return { ...defaultServerSettings, apiKeys: [] };
  const obj = objectAt("server", raw);
  rejectUnknown("server", obj, knownKeys, renamedKeys);
  const engine = obj["grpc_engine"] ?? defaultServerSettings.grpcEngine;
  if (engine !== "grpc-js" && engine !== "connect") fail('server.grpc_engine must be "grpc-js" or "connect"');
  const rawKeys = obj["api_keys"] ?? [];
  if (!Array.isArray(rawKeys)) fail("server.api_keys must be a list");
  const apiKeys = rawKeys.map((k, i) => validateApiKey(`server.api_keys[${i}]`, k));
  const names = new Set<string>();
  const hashes = new Set<string>();
  apiKeys.forEach((k, i) => {
    if (names.has(k.name)) fail(`server.api_keys[${i}].name must be unique (${JSON.stringify(k.name)} is used twice)`);
    if (hashes.has(k.keySha256)) fail(`server.api_keys[${i}].key_sha256 must be unique (the same key is listed twice)`);
    names.add(k.name);
    hashes.add(k.keySha256);
  });
  return {
    host: stringAt("server.host", obj["host"], DEFAULT_HOST),
    port: intAt("server.port", obj["port"], DEFAULT_PORT, 0, 65535),
    tls: validateTls(obj["tls"]),
    maxRequestBytes: intAt("server.max_request_bytes", obj["max_request_bytes"], DEFAULT_MAX_REQUEST_BYTES, 1024, 64 * 1024 * 1024),
    shutdownGraceMs: intAt("server.shutdown_grace_ms", obj["shutdown_grace_ms"], DEFAULT_SHUTDOWN_GRACE_MS, 0, 10 * 60_000),
    reflection: boolAt("server.reflection", obj["reflection"], true),
    grpcEngine: engine,
    apiKeys,
    publicUrl: publicUrlAt("server.public_url", obj["public_url"]),
    maxConnections: intAt("server.max_connections", obj["max_connections"], DEFAULT_MAX_CONNECTIONS, 1, 1_000_000),
    idleTimeoutMs: intAt("server.idle_timeout_ms", obj["idle_timeout_ms"], DEFAULT_IDLE_TIMEOUT_MS, 100, 24 * HOUR_MS),
    headerTimeoutMs: intAt("server.header_timeout_ms", obj["header_timeout_ms"], DEFAULT_HEADER_TIMEOUT_MS, 100, 5 * 60_000),
    http2MaxConcurrentStreams: intAt("server.http2_max_concurrent_streams", obj["http2_max_concurrent_streams"], DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS, 1, 10_000),
    keepaliveTimeMs: keepaliveAt(obj["keepalive_time_ms"]),
    keepaliveTimeoutMs: intAt("server.keepalive_timeout_ms", obj["keepalive_timeout_ms"], DEFAULT_KEEPALIVE_TIMEOUT_MS, 100, 10 * 60_000),
  };
}

// 0 turns keepalive off; anything else must leave room for the PING's round trip.
function keepaliveAt(value: unknown): number {
  const n = intAt("server.keepalive_time_ms", value, DEFAULT_KEEPALIVE_TIME_MS, 0, 24 * HOUR_MS);
  if (n !== 0 && n < 100) fail("server.keepalive_time_ms must be 0 (off) or an integer from 100 to 86400000");
  return n;
}
