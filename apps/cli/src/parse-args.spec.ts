import { describe, expect, it } from "vitest";
import { parseArgs } from "./parse-args.js";

const uid = "c0a57a15-5e11-4000-8000-000000000001";

describe("parseArgs()", () => {
  const accepted: [string, string[], Record<string, unknown>][] = [
    ["--version", ["--version"], { command: "version" }],
    ["-V anywhere", ["verify", "-V"], { command: "version" }],
    ["--help", ["--help"], { command: "help", topic: undefined }],
    ["help with a topic", ["help", "onboard"], { command: "help", topic: "onboard" }],
    ["a command's --help without its required flags", ["verify", "--help"], { command: "help", topic: "verify" }],
    ["-h after a command", ["call", "-h"], { command: "help", topic: "call" }],
    [
      "verify with globals before the command",
      ["--server", "http://r:9", "--protocol", "grpc", "verify", "--location-uid", uid, "--force"],
      { command: "verify", flags: { server: "http://r:9", protocol: "grpc", apiKey: undefined, locationUid: uid, force: true } },
    ],
    [
      "onboard with a configured app and a local refresh-token file",
      ["onboard", "--location-uid", uid, "--org-slug", "coastal-smiles", "--oauth-app", "coastal-smiles", "--refresh-token-file", "rt"],
      {
        command: "onboard",
        flags: { entry: { locationUid: uid, orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshTokenFile: "rt" }, fromFile: undefined, dryRun: false, output: "table", allowCleartext: false },
      },
    ],
    [
      "onboard by consent with a configured app",
      ["onboard", "--authorize", "--location-uid", uid, "--org-slug", "coastal-smiles", "--oauth-app", "coastal-smiles", "--scopes", "read_locations,read_contacts"],
      { command: "onboard", flags: { authorize: { locationUid: uid, orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", scopes: ["read_locations", "read_contacts"] }, entry: undefined, fromFile: undefined } },
    ],
    [
      "bulk onboard with dry run and concurrency",
      ["onboard", "--from-file", "l.csv", "--dry-run", "--concurrency", "4"],
      { command: "onboard", flags: { entry: undefined, fromFile: "l.csv", dryRun: true, concurrency: 4 } },
    ],
    [
      "audit with every filter",
      ["audit", "--location-uid", uid, "--since", "2026-01-01", "--until", "2026-01-02T00:00:00Z", "--method", "post", "--status-class", "4xx", "--request-id", "r-1", "--output", "csv"],
      { command: "audit", flags: { locationUid: uid, since: Date.UTC(2026, 0, 1), until: Date.UTC(2026, 0, 2), method: "POST", statusClass: "4xx", requestId: "r-1", output: "csv" } },
    ],
    ["audit defaults to a table", ["audit"], { command: "audit", flags: { output: "table", since: undefined } }],
    ["locations list", ["locations", "list", "--org-slug", "coastal-smiles"], { command: "locations", flags: { action: "list", orgSlug: "coastal-smiles" } }],
    ["locations remove", ["locations", "remove", "--location-uid", uid], { command: "locations", flags: { action: "remove", locationUid: uid } }],
    [
      "call with a method, a path and data",
      ["call", "post", "/v4/contacts", "--location-uid", uid, "--data", "@body.json"],
      { command: "call", flags: { method: "POST", path: "/v4/contacts", locationUid: uid, data: "@body.json" } },
    ],
    ["serve", ["serve", "--settings", "s.yaml", "--port", "0"], { command: "serve", flags: { settings: "s.yaml", port: 0, host: undefined } }],
    ["sandbox defaults", ["sandbox"], { command: "sandbox", flags: { port: 8787, host: "127.0.0.1" } }],
    ["dev defaults", ["dev"], { command: "dev", flags: { port: 8080, sandboxPort: 8787, stateDir: ".podium-router-dev", apiKey: undefined } }],
    ["dev with a key", ["dev", "--api-key", "k1", "--port", "0"], { command: "dev", flags: { port: 0, apiKey: "k1" } }],
  ];
  for (const [name, argv, expected] of accepted) {
    it(`accepts ${name}`, () => {
      expect(parseArgs(argv)).toMatchObject({ ok: true, ...expected });
    });
  }

  const refused: [string, string[], RegExp][] = [
    ["no command", [], /no command given/],
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["help for an unknown command", ["help", "nope"], /unknown command "nope"/],
    ["an unknown option", ["verify", "--location-uid", uid, "--bogus"], /Unknown option --bogus/],
    ["a missing required flag", ["verify"], /missing --location-uid/],
    ["an option without its value", ["verify", "--location-uid"], /location-uid/],
    ["a stray argument", ["verify", "--location-uid", uid, "extra"], /unexpected argument "extra"/],
    ["a bad protocol", ["verify", "--location-uid", uid, "--protocol", "soap"], /--protocol must be one of grpc, connect, grpc-web/],
    ["a server that is not a URL", ["verify", "--location-uid", uid, "--server", "localhost:8080"], /--server must be an http\(s\) URL/],
    ["the removed --client-id-env", ["onboard", "--location-uid", uid, "--org-slug", "o", "--client-id-env", "A", "--refresh-token-file", "r"], /--client-id-env was removed: callers never name a secret\. .*--oauth-app NAME/],
    ["the removed --client-secret-file", ["onboard", "--authorize", "--location-uid", uid, "--org-slug", "o", "--client-secret-file", "/etc/hostname"], /--client-secret-file was removed: callers never name a secret/],
    ["no app", ["onboard", "--location-uid", uid, "--org-slug", "o", "--refresh-token-file", "r"], /missing --oauth-app/],
    ["a reference where an app name belongs", ["onboard", "--location-uid", uid, "--org-slug", "o", "--oauth-app", "env:PATH", "--refresh-token-file", "r"], /--oauth-app must name an OAuth app configured on the router/],
    ["--allow-cleartext with --authorize", ["onboard", "--authorize", "--location-uid", uid, "--org-slug", "o", "--oauth-app", "a", "--allow-cleartext"], /--authorize cannot be combined with --allow-cleartext/],
    ["--from-file with single-location flags", ["onboard", "--from-file", "l.csv", "--location-uid", uid], /--from-file cannot be combined with --location-uid/],
    ["a concurrency of zero", ["onboard", "--from-file", "l.csv", "--concurrency", "0"], /--concurrency must be an integer from 1 to 1000/],
    ["a date that is not ISO 8601", ["audit", "--since", "March 7"], /--since must be an ISO 8601 date/],
    ["--until before --since", ["audit", "--since", "2026-02-01", "--until", "2026-01-01"], /--until must be after --since/],
    ["a bad status class", ["audit", "--status-class", "4XX"], /--status-class must be 2xx, 3xx, 4xx or 5xx/],
    ["a bad output format", ["audit", "--output", "xml"], /--output must be one of json, ndjson, csv, table/],
    ["a bad request id", ["audit", "--request-id", "a b"], /--request-id must be 1 to 128 characters/],
    ["locations without an action", ["locations"], /locations needs an action/],
    ["locations status without a uid", ["locations", "status"], /missing --location-uid/],
    ["call without a path", ["call", "GET", "--location-uid", uid], /call needs a METHOD and a PATH/],
    ["call with an unknown method", ["call", "FETCH", "/v4/contacts", "--location-uid", uid], /METHOD must be one of GET/],
    ["call with a relative path", ["call", "GET", "v4/contacts", "--location-uid", uid], /PATH must start with \//],
    ["a port out of range", ["sandbox", "--port", "70000"], /--port must be an integer from 0 to 65535/],
  ];
  for (const [name, argv, message] of refused) {
    it(`refuses ${name}`, () => {
      const result = parseArgs(argv);
      expect(result.ok).toBe(false);
      expect(result.ok ? "" : result.errorMessage).toMatch(message);
    });
  }

  it("names the command whose usage to show after an error", () => {
    expect(parseArgs(["verify"])).toEqual({ ok: false, errorMessage: "missing --location-uid", topic: "verify" });
  });
});
