/** The commands of `podium-router`, in the order usage lists them. */
export const commandNames = ["verify", "onboard", "audit", "locations", "call", "events", "webhooks", "serve", "sandbox", "dev", "credentials", "health"] as const;

/** A command of `podium-router`. */
export type CommandName = (typeof commandNames)[number];

/** An option spec of node:util `parseArgs`. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
}

/** The values node:util `parseArgs` returns for these specs. */
export type OptionValues = Record<string, string | boolean | undefined>;

/** Options every command accepts (and that may come before the command name). */
export const globalOptions = {
  server: { type: "string" },
  "api-key": { type: "string" },
  protocol: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const satisfies Record<string, OptionSpec>;

/** Each command's own options, as data: parse-args reads them, usage documents them. */
export const commandOptions: Record<CommandName, Record<string, OptionSpec>> = {
  verify: { "location-uid": { type: "string" }, force: { type: "boolean" } },
  onboard: {
    "location-uid": { type: "string" },
    "org-slug": { type: "string" },
    "oauth-app": { type: "string" },
    "refresh-token-file": { type: "string" },
    "allow-cleartext": { type: "boolean" },
    "from-file": { type: "string" },
    authorize: { type: "boolean" },
    scopes: { type: "string" },
    "dry-run": { type: "boolean" },
    replace: { type: "boolean" },
    concurrency: { type: "string" },
    output: { type: "string" },
  },
  audit: {
    "location-uid": { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    method: { type: "string" },
    "status-class": { type: "string" },
    "request-id": { type: "string" },
    limit: { type: "string" },
    output: { type: "string" },
  },
  locations: {
    "location-uid": { type: "string" },
    "org-slug": { type: "string" },
    output: { type: "string" },
    // reauthorize:
    "oauth-app": { type: "string" },
    "refresh-token-file": { type: "string" },
    authorize: { type: "boolean" },
    scopes: { type: "string" },
    "allow-cleartext": { type: "boolean" },
  },
  call: { "location-uid": { type: "string" }, data: { type: "string" }, "request-id": { type: "string" } },
  events: { "location-uid": { type: "string" }, "after-cursor": { type: "string" }, "event-types": { type: "string" }, "from-start": { type: "boolean" }, count: { type: "string" } },
  webhooks: { "location-uid": { type: "string" }, output: { type: "string" } },
  serve: { settings: { type: "string" }, port: { type: "string" }, host: { type: "string" } },
  sandbox: { port: { type: "string" }, host: { type: "string" } },
  dev: { port: { type: "string" }, "sandbox-port": { type: "string" }, "state-dir": { type: "string" } },
  credentials: { settings: { type: "string" } },
  health: {},
};
