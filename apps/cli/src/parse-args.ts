import { parseArgs as parseNodeArgs } from "node:util";
import { routerProtocols } from "@podium-router/client";
import type { RouterProtocol } from "@podium-router/client";
import { commandNames, commandOptions, globalOptions } from "./command-options.js";
import type { CommandName, OptionValues } from "./command-options.js";
import { DEFAULT_DEV_STATE_DIR } from "./dev-state.js";
import { ArgError, date, integer, method, oauthApp, oneOf, optionalString, requestId, required } from "./arg-values.js";

export { commandNames };
export type { CommandName };

/** Flags every command that talks to the router accepts. */
export interface GlobalFlags {
  /** --server; the environment (PODIUM_ROUTER_URL) and the default apply later. */
  server: string | undefined;
  /** --api-key; else PODIUM_ROUTER_API_KEY. For `dev`, the key the dev router accepts. */
  apiKey: string | undefined;
  protocol: RouterProtocol | undefined;
}

export interface VerifyFlags extends GlobalFlags {
  locationUid: string;
  force: boolean;
}

/**
 * One location to onboard as given on the command line or a bulk file: the OAuth app is a name configured on
 * the router; the refresh-token file is local, read by the CLI, which sends the token itself.
 */
export interface OnboardEntry {
  locationUid: string;
  orgSlug: string;
  oauthApp: string;
  /** A file on this machine; the command resolves it against the current (or the bulk file's) directory. */
  refreshTokenFile: string;
}

/** One location to onboard by consent (`--authorize`): no refresh token, Podium's redirect brings it. */
export interface AuthorizeEntry {
  locationUid: string;
  orgSlug: string;
  oauthApp: string;
  /** OAuth scopes to ask for; empty for the app's configured ones. */
  scopes: string[];
}

export interface OnboardFlags extends GlobalFlags {
  /** Exactly one of `entry`, `fromFile` and `authorize` is set. */
  entry: OnboardEntry | undefined;
  fromFile: string | undefined;
  authorize: AuthorizeEntry | undefined;
  dryRun: boolean;
  /** Replace the credentials of locations already onboarded and working when the ones given differ (verified first). */
  replace: boolean;
  concurrency: number | undefined;
  output: "table" | "json";
  /** Send refresh tokens over http:// to a router that is not on this host (only on a trusted network). */
  allowCleartext: boolean;
}

export type AuditOutput = "json" | "ndjson" | "csv" | "table";

export interface AuditFlags extends GlobalFlags {
  locationUid: string | undefined;
  /** Epoch ms, inclusive. */
  since: number | undefined;
  /** Epoch ms, exclusive. */
  until: number | undefined;
  method: string | undefined;
  statusClass: string | undefined;
  requestId: string | undefined;
  limit: number | undefined;
  output: AuditOutput;
}

export interface LocationsFlags extends GlobalFlags {
  action: "list" | "status" | "remove" | "reauthorize";
  /** Required for status, remove and reauthorize. */
  locationUid: string | undefined;
  orgSlug: string | undefined;
  output: "table" | "json";
  /** reauthorize: where the new credential comes from. */
  reauthorize: ReauthorizeSource | undefined;
}

/** `locations reauthorize`: a new refresh token from a local file, or a consent; the app defaults to the location's. */
export interface ReauthorizeSource {
  /** A configured OAuth app; undefined: the one the location uses. */
  oauthApp: string | undefined;
  refreshTokenFile: string | undefined;
  /** Set with --authorize: the scopes to ask for (empty for the app's own). */
  consentScopes: string[] | undefined;
  allowCleartext: boolean;
}

export interface CallFlags extends GlobalFlags {
  method: string;
  path: string;
  locationUid: string;
  /** JSON text, or `@path` of a file holding it. */
  data: string | undefined;
  requestId: string | undefined;
}

export interface EventsFlags extends GlobalFlags {
  action: "tail";
  locationUid: string;
  /** Resume after this cursor; undefined: only new events (or, with `fromStart`, the oldest retained). */
  afterCursor: string | undefined;
  fromStart: boolean;
  eventTypes: string[];
  /** Stop after this many events. */
  count: number | undefined;
}

export interface WebhooksFlags extends GlobalFlags {
  action: "sync";
  /** The locations to sync; empty for every registered location. */
  locationUids: string[];
  output: "table" | "json";
}

export interface ServeFlags extends GlobalFlags {
  settings: string | undefined;
  port: number | undefined;
  host: string | undefined;
}

export interface SandboxFlags extends GlobalFlags {
  port: number;
  host: string;
}

/** `credentials reencrypt`: run on the router's host, against the store the settings name. */
export interface CredentialsFlags extends GlobalFlags {
  action: "reencrypt";
  settings: string | undefined;
}

export interface DevFlags extends GlobalFlags {
  port: number;
  sandboxPort: number;
  stateDir: string;
}

/** A parsed command line: one variant per command. */
export type ParsedCommand =
  | { command: "help"; topic: CommandName | undefined }
  | { command: "version" }
  | { command: "verify"; flags: VerifyFlags }
  | { command: "onboard"; flags: OnboardFlags }
  | { command: "audit"; flags: AuditFlags }
  | { command: "locations"; flags: LocationsFlags }
  | { command: "call"; flags: CallFlags }
  | { command: "events"; flags: EventsFlags }
  | { command: "webhooks"; flags: WebhooksFlags }
  | { command: "serve"; flags: ServeFlags }
  | { command: "sandbox"; flags: SandboxFlags }
  | { command: "dev"; flags: DevFlags }
  | { command: "credentials"; flags: CredentialsFlags }
  | { command: "health"; flags: GlobalFlags };

/** The result of `parseArgs()`; on failure `topic` names the command whose usage to show. */
export type ParseResult = ({ ok: true } & ParsedCommand) | { ok: false; errorMessage: string; topic?: CommandName };

/**
 * Parses the arguments after `podium-router` (no environment, no I/O). `--help` and `--version` win over
 * everything else, so `podium-router verify --help` works without the required flags.
 */
export function parseArgs(argv: readonly string[]): ParseResult {
  const pre = parseNodeArgs({ args: [...argv], options: globalOptions, strict: false, allowPositionals: true, tokens: true });
  const commandToken = pre.tokens.find((t) => t.kind === "positional");
  const name = commandToken?.kind === "positional" ? commandToken.value : undefined;
  const topic = name !== undefined && isCommandName(name) ? name : undefined;

  if (pre.values.version === true) return { ok: true, command: "version" };
  if (name === "help") {
    const about = argv.slice(commandToken!.index + 1).find((a) => !a.startsWith("-"));
    if (about !== undefined && !isCommandName(about)) return { ok: false, errorMessage: `unknown command "${about}"` };
    return { ok: true, command: "help", topic: about as CommandName | undefined };
  }
  if (pre.values.help === true) return { ok: true, command: "help", topic };
  if (name === undefined) return { ok: false, errorMessage: "no command given" };
  if (topic === undefined) return { ok: false, errorMessage: `unknown command "${name}"` };

  const rest = [...argv.slice(0, commandToken!.index), ...argv.slice(commandToken!.index + 1)];
  try {
    const { values, positionals } = parseNodeArgs({
      args: rest,
      options: { ...globalOptions, ...commandOptions[topic] },
      strict: true,
      allowPositionals: true,
    });
    return { ok: true, ...build(topic, values as OptionValues, positionals) } as ParseResult;
  } catch (err) {
    return { ok: false, errorMessage: parseErrorMessage(err), topic };
  }
}

function build(command: CommandName, v: OptionValues, positionals: string[]): ParsedCommand {
  const global: GlobalFlags = {
    server: optionalString(v, "server"),
    apiKey: optionalString(v, "api-key"),
    protocol: oneOf(v, "protocol", routerProtocols),
  };
  if (global.server !== undefined && !/^https?:\/\/[^\s]+$/.test(global.server)) {
    throw new ArgError(`--server must be an http(s) URL; got "${global.server}"`);
  }
  const noPositionals = (): void => {
    if (positionals.length > 0) throw new ArgError(`unexpected argument "${positionals[0]}"`);
  };
  switch (command) {
    case "verify":
      noPositionals();
      return { command, flags: { ...global, locationUid: required(v, "location-uid"), force: v.force === true } };
    case "onboard":
      noPositionals();
      return { command, flags: { ...global, ...onboardSource(v), dryRun: v["dry-run"] === true, replace: v.replace === true, concurrency: integer(v, "concurrency", 1, 1000), output: oneOf(v, "output", ["table", "json"] as const) ?? "table", allowCleartext: v["allow-cleartext"] === true } };
    case "audit": {
      noPositionals();
      const since = date(v, "since");
      const until = date(v, "until");
      if (since !== undefined && until !== undefined && until <= since) throw new ArgError("--until must be after --since");
      const statusClass = optionalString(v, "status-class");
      if (statusClass !== undefined && !/^[2-5]xx$/.test(statusClass)) throw new ArgError(`--status-class must be 2xx, 3xx, 4xx or 5xx; got "${statusClass}"`);
      return {
        command,
        flags: {
          ...global,
          locationUid: optionalString(v, "location-uid"),
          since,
          until,
          method: method(optionalString(v, "method"), "--method"),
          statusClass,
          requestId: requestId(v),
          limit: integer(v, "limit", 1, Number.MAX_SAFE_INTEGER),
          output: oneOf(v, "output", ["json", "ndjson", "csv", "table"] as const) ?? "table",
        },
      };
    }
    case "locations": {
      const [action, extra] = positionals;
      if (action !== "list" && action !== "status" && action !== "remove" && action !== "reauthorize") {
        throw new ArgError(action === undefined ? "locations needs an action: list, status, remove or reauthorize" : `unknown locations action "${action}"; use list, status, remove or reauthorize`);
      }
      if (extra !== undefined) throw new ArgError(`unexpected argument "${extra}"`);
      const locationUid = action === "list" ? optionalString(v, "location-uid") : required(v, "location-uid");
      const reauthorize = action === "reauthorize" ? reauthorizeSource(v) : undefined;
      if (reauthorize === undefined) {
        const stray = ["oauth-app", "refresh-token-file", "authorize", "scopes", "allow-cleartext"].find((k) => v[k] !== undefined);
        if (stray !== undefined) throw new ArgError(`--${stray} belongs to locations reauthorize`);
      }
      return { command, flags: { ...global, action, locationUid, orgSlug: optionalString(v, "org-slug"), output: oneOf(v, "output", ["table", "json"] as const) ?? "table", reauthorize } };
    }
    case "call": {
      const [m, path, extra] = positionals;
      if (m === undefined || path === undefined) throw new ArgError("call needs a METHOD and a PATH, e.g. call GET /v4/contacts");
      if (extra !== undefined) throw new ArgError(`unexpected argument "${extra}"`);
      if (!path.startsWith("/")) throw new ArgError(`PATH must start with /, e.g. /v4/contacts; got "${path}"`);
      return { command, flags: { ...global, method: method(m, "METHOD")!, path, locationUid: required(v, "location-uid"), data: optionalString(v, "data"), requestId: requestId(v) } };
    }
    case "events": {
      const [action, extra] = positionals;
      if (action !== "tail") throw new ArgError(action === undefined ? "events needs an action: tail" : `unknown events action "${action}"; use tail`);
      if (extra !== undefined) throw new ArgError(`unexpected argument "${extra}"`);
      const afterCursor = optionalString(v, "after-cursor");
      if (afterCursor !== undefined && !/^\d{1,15}$/.test(afterCursor)) throw new ArgError(`--after-cursor must be a cursor the router printed (digits); got "${afterCursor}"`);
      if (afterCursor !== undefined && v["from-start"] === true) throw new ArgError("give one of --after-cursor and --from-start, not both");
      const eventTypes = (optionalString(v, "event-types") ?? "").split(/[\s,]+/).filter((t) => t !== "");
      const bad = eventTypes.find((t) => !/^[a-z]+\.[a-z_]+$/.test(t));
      if (bad !== undefined) throw new ArgError(`--event-types must list Podium event types separated by commas, e.g. contact.created,message.received; got "${bad}"`);
      return { command, flags: { ...global, action, locationUid: required(v, "location-uid"), afterCursor, fromStart: v["from-start"] === true, eventTypes, count: integer(v, "count", 1, Number.MAX_SAFE_INTEGER) } };
    }
    case "webhooks": {
      const [action, extra] = positionals;
      if (action !== "sync") throw new ArgError(action === undefined ? "webhooks needs an action: sync" : `unknown webhooks action "${action}"; use sync`);
      if (extra !== undefined) throw new ArgError(`unexpected argument "${extra}"`);
      const locationUids = (optionalString(v, "location-uid") ?? "").split(",").map((u) => u.trim()).filter((u) => u !== "");
      return { command, flags: { ...global, action, locationUids, output: oneOf(v, "output", ["table", "json"] as const) ?? "table" } };
    }
    case "serve":
      noPositionals();
      return { command, flags: { ...global, settings: optionalString(v, "settings"), port: integer(v, "port", 0, 65535), host: optionalString(v, "host") } };
    case "sandbox":
      noPositionals();
      return { command, flags: { ...global, port: integer(v, "port", 0, 65535) ?? 8787, host: optionalString(v, "host") ?? "127.0.0.1" } };
    case "credentials": {
      const [action, extra] = positionals;
      if (action !== "reencrypt") throw new ArgError(action === undefined ? "credentials needs an action: reencrypt" : `unknown credentials action "${action}"; use reencrypt`);
      if (extra !== undefined) throw new ArgError(`unexpected argument "${extra}"`);
      return { command, flags: { ...global, action, settings: optionalString(v, "settings") } };
    }
    case "health":
      noPositionals();
      return { command, flags: global };
    case "dev":
      noPositionals();
      return {
        command,
        flags: {
          ...global,
          port: integer(v, "port", 0, 65535) ?? 8080,
          sandboxPort: integer(v, "sandbox-port", 0, 65535) ?? 8787,
          stateDir: optionalString(v, "state-dir") ?? DEFAULT_DEV_STATE_DIR,
        },
      };
  }
}

/** `--from-file` alone, or the four single-location flags. */
function onboardSource(v: OptionValues): Pick<OnboardFlags, "entry" | "fromFile" | "authorize"> {
  if (v.authorize === true) return { entry: undefined, fromFile: undefined, authorize: authorizeSource(v) };
  if (v.scopes !== undefined) throw new ArgError("--scopes needs --authorize");
  const fromFile = optionalString(v, "from-file");
  const single = ["location-uid", "org-slug", "oauth-app", "refresh-token-file"].filter((k) => v[k] !== undefined);
  if (fromFile !== undefined) {
    if (single.length > 0) throw new ArgError(`--from-file cannot be combined with --${single[0]}`);
    return { entry: undefined, fromFile, authorize: undefined };
  }
  return {
    fromFile: undefined,
    authorize: undefined,
    entry: {
      locationUid: required(v, "location-uid"),
      orgSlug: required(v, "org-slug"),
      oauthApp: oauthApp(v),
      refreshTokenFile: required(v, "refresh-token-file"),
    },
  };
}

/** `--authorize`: one location and the configured app to ask the consent for; the refresh token comes from the consent. */
function authorizeSource(v: OptionValues): AuthorizeEntry {
  // A consent is a new credential: for a registered location it always replaces the stored one once verified.
  const clash = ["from-file", "refresh-token-file", "dry-run", "concurrency", "allow-cleartext", "replace"].find((k) => v[k] !== undefined);
  if (clash !== undefined) throw new ArgError(`--authorize cannot be combined with --${clash}`);
  return {
    locationUid: required(v, "location-uid"),
    orgSlug: required(v, "org-slug"),
    oauthApp: oauthApp(v),
    scopes: scopesFlag(v),
  };
}

/** `--scopes S1,S2` as a list; empty for the app's own. */
function scopesFlag(v: OptionValues): string[] {
  const scopes = (optionalString(v, "scopes") ?? "").split(/[\s,]+/).filter((s) => s !== "");
  const bad = scopes.find((s) => !/^[A-Za-z0-9_.:-]{1,64}$/.test(s));
  if (bad !== undefined) throw new ArgError(`--scopes must list OAuth scopes separated by commas, e.g. read_locations,read_contacts; got "${bad}"`);
  return scopes;
}

/** `locations reauthorize`: exactly one of --refresh-token-file and --authorize. */
function reauthorizeSource(v: OptionValues): ReauthorizeSource {
  const file = optionalString(v, "refresh-token-file");
  const consent = v.authorize === true;
  if ((file === undefined) === !consent) throw new ArgError("locations reauthorize needs exactly one of --refresh-token-file FILE (a new token you hold) and --authorize (a consent in a browser)");
  if (!consent && v.scopes !== undefined) throw new ArgError("--scopes needs --authorize");
  if (consent && v["allow-cleartext"] !== undefined) throw new ArgError("--allow-cleartext is for --refresh-token-file: a consent's token never passes through this machine");
  return {
    oauthApp: v["oauth-app"] === undefined ? undefined : oauthApp(v),
    refreshTokenFile: file,
    consentScopes: consent ? scopesFlag(v) : undefined,
    allowCleartext: v["allow-cleartext"] === true,
  };
}

/** Flags that named where a secret is; callers now name an app the router's operator configured. */
const removedSecretFlags = ["--client-id-env", "--client-id-file", "--client-secret-env", "--client-secret-file"];

function isCommandName(name: string): name is CommandName {
  return (commandNames as readonly string[]).includes(name);
}

function parseErrorMessage(err: unknown): string {
  if (err instanceof ArgError) return err.message;
  // node:util's messages are long ("... To specify a positional argument ..."); keep the first sentence.
  const message = err instanceof Error ? err.message : String(err);
  const removed = removedSecretFlags.find((flag) => message.includes(`'${flag}'`));
  if (removed !== undefined) {
    return `${removed} was removed: callers never name a secret. The router's operator configures the Podium app under oauth_apps in the router's settings; pass its name with --oauth-app NAME`;
  }
  return (message.split(/\.\s/)[0] ?? message).replace(/'/g, "");
}
