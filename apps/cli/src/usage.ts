import type { CommandName } from "./command-options.js";

const connection = `Connection (every command that talks to a router):
  --server URL        the router (env PODIUM_ROUTER_URL; default http://127.0.0.1:8080)
  --api-key KEY       the caller's API key (env PODIUM_ROUTER_API_KEY)
  --protocol P        connect (default), grpc or grpc-web`;

const exitStatus = `Exit status: 0 success; 1 a definite "no" (not in scope, unknown location, a failed
onboarding, a non-2xx answer); 2 no answer (bad arguments or input, router unreachable, key refused).`;

/** The top-level usage, printed by `podium-router --help`. */
export const mainUsage = `Usage: podium-router <command> [options]

Per-location routing, isolation and audit for multi-location Podium integrations.

Commands:
  verify      check that a location is in its credential's scope
  onboard     onboard one location, or many from a CSV or JSON file
  audit       query the audit log of routed and refused calls (audit verify: check its hash chain)
  locations   list, inspect or remove registered locations
  call        send one Podium API call for one location
  events      follow one location's Podium events (events tail)
  webhooks    create or repair the Podium webhooks of the registered locations (webhooks sync)
  serve       run the router
  sandbox     run the Podium API sandbox
  dev         run the sandbox and a router with two demo locations onboarded
  credentials re-encrypt the stored refresh tokens under the active key (PostgreSQL store)
  health      ask a router's gRPC health service whether it is serving (container health checks)

Run "podium-router <command> --help" for a command's options.

${connection}
  -h, --help          show help
  -V, --version       print the version

${exitStatus}
`;

/** The usage of each command, printed by `podium-router <command> --help` and after a usage error. */
export const commandUsage: Record<CommandName, string> = {
  verify: `Usage: podium-router verify --location-uid UID [--force]

Checks that the location is registered and in its credential's scope (Podium's GET /v4/locations).
  --location-uid UID  the location to verify
  --force             ignore the router's verification cache and ask Podium again

Exit status: 0 in scope; 1 not in scope, unknown or deleted; 2 configuration or network error.

${connection}
`,
  onboard: `Usage: podium-router onboard --location-uid UID --org-slug SLUG --oauth-app NAME
                            --refresh-token-file PATH [--replace] [--dry-run] [--allow-cleartext]
       podium-router onboard --from-file locations.csv|locations.json [--replace] [--dry-run]
                            [--concurrency N]
       podium-router onboard --authorize --location-uid UID --org-slug SLUG --oauth-app NAME
                            [--scopes S1,S2]

Onboards locations: a token obtained with the app's credential, the location verified in scope, then
stored and made live. Callers never name a secret: --oauth-app names a Podium app the router's operator
configured (oauth_apps in the router's settings, granted to your API key), and this command reads each
refresh token from a file on this machine and sends the token itself.
Re-running is safe, and repairs: a location already onboarded is checked with its stored credential;
if it works and nothing differs it is skipped_existing; if it is broken (its credential refused, deleted,
out of scope) the credentials given are verified and replace the stored ones (replaced); if it works but
is given another app or org slug it is refused (ERR_LOC_ALREADY_ONBOARDED) unless --replace; another
refresh token alone is kept out (Podium may have rotated the stored one) unless --replace.

  --oauth-app NAME    an OAuth app configured on the router, e.g. acme-dental
  --refresh-token-file PATH
                      a file on this machine holding the location's refresh token alone
  --from-file FILE    CSV with the header location_uid,org_slug,oauth_app,refresh_token_file, or a
                      JSON array of objects with those keys; token paths are relative to the file.
                      The file is checked (columns, duplicates) before anything is sent.
  --allow-cleartext   send refresh tokens over http:// to a router on another host (trusted networks
                      only; the router must allow it too). Without it they go only over https:// or to
                      a router on this host.
  --authorize         onboard by consent: print Podium's authorize URL (single use, expires in 10
                      minutes), wait until Podium redirects the browser back to the router's
                      /oauth/callback, then print the result; the router stores the refresh token
  --scopes S1,S2      with --authorize: the OAuth scopes to ask for (default: the app's configured ones)
  --replace           replace the credentials of working locations when the ones given differ (each
                      verified first, then stored in one write; audited)
  --dry-run           check every location and change nothing
  --concurrency N     how many locations at once (default: the router's onboarding.concurrency)
  --output FORMAT     table (default) or json

Exit status: 0 when every location is onboarded, replaced or skipped (or checked, with --dry-run); 1 when
any failed; 2 for a bad file or an unreachable router.

${connection}
`,
  audit: `Usage: podium-router audit [--location-uid UID] [--since DATE] [--until DATE] [--method M]
                          [--status-class 4xx] [--request-id ID] [--limit N]
                          [--output json|ndjson|csv|table]

Prints the audit records (one per routed or refused call), oldest first. Never tokens or bodies.
  --location-uid UID  only this location (required unless your key covers every location)
  --since DATE        at or after this ISO 8601 date or time (2026-01-31, 2026-01-31T09:00:00Z)
  --until DATE        before this date or time
  --method M          only this HTTP method
  --status-class C    only 2xx, 3xx, 4xx or 5xx
  --request-id ID     only this request id
  --limit N           at most N records
  --output FORMAT     table (default), json, ndjson or csv

${connection}
`,
  locations: `Usage: podium-router locations list [--org-slug SLUG] [--output table|json]
       podium-router locations status --location-uid UID [--output table|json]
       podium-router locations remove --location-uid UID
       podium-router locations reauthorize --location-uid UID (--authorize [--scopes S1,S2] |
                            --refresh-token-file PATH [--allow-cleartext]) [--oauth-app NAME]

  list                the registered locations, with Podium's names and organizations
  status              one location's verification, rate budget and token state, its last refresh and
                      last failure; for a broken location, the command that repairs it (on stderr)
  remove              take the location out of the router's store and live routing at once
  reauthorize         give the location a new refresh token: --authorize (a consent in a browser) or
                      --refresh-token-file (a token you hold). The router verifies it, then replaces the
                      stored one in one write (the audit trail has the line); the app and org slug stay
                      the location's own unless --oauth-app names another configured app.
                      Exit 0 when the location has a working credential afterwards; 1 otherwise.

${connection}
`,
  call: `Usage: podium-router call METHOD PATH --location-uid UID [--data JSON|@FILE] [--request-id ID]

Sends one Podium API call through the router for one location and prints the response body.
  METHOD              GET, HEAD, POST, PUT, PATCH or DELETE
  PATH                a /v4 path with an optional query, e.g. /v4/contacts?limit=10
  --location-uid UID  the location the call is for (there is no default)
  --data JSON|@FILE   the JSON request body, or @ and a file holding it
  --request-id ID     your own request id (1-128 of [A-Za-z0-9._-])

Exit status: 0 for a 2xx answer; 1 for any other answer or a refusal about the location or request;
2 when the router could not be asked.

${connection}
`,
  events: `Usage: podium-router events tail --location-uid UID [--after-cursor C | --from-start]
                                 [--event-types T1,T2] [--count N]

Follows the location's Podium events (WatchEvents) and prints one JSON line per event, oldest first:
{"cursor","location_uid","event_type","event_id","received_at","event"} where "event" is Podium's document.
Reconnects from the last cursor printed when the router goes away; stops on SIGINT or SIGTERM.
  --location-uid UID  the location (your key must be granted it and WatchEvents)
  --after-cursor C    resume after this cursor (printed with each event): nothing is skipped
  --from-start        start at the oldest event the router keeps (default: only new events)
  --event-types T,T   only these types, e.g. contact.created,message.received
  --count N           stop after N events

Exit status: 0 when stopped or after --count events; 1 unknown location or an expired cursor; 2 otherwise.

${connection}
`,
  webhooks: `Usage: podium-router webhooks sync [--location-uid UID[,UID…]] [--output table|json]

Creates or repairs one Podium webhook per location (one per organization where events.organization_webhooks
grants it), pointing at the router's <public_url>/podium/webhooks/<subscription> with a secret the router
generates and keeps. Re-running is safe: webhooks in place are reported unchanged, drifted ones repaired,
and without --location-uid the subscriptions of locations no longer registered are removed.
  --location-uid UIDS only these locations (default: every registered location; needs a key granted all)
  --output FORMAT     table (default) or json

Exit status: 0 when every location synced; 1 when any failed; 2 when the router could not be asked.

${connection}
`,
  serve: `Usage: podium-router serve [--settings FILE] [--port PORT] [--host HOST]

Runs the router: gRPC, gRPC-Web and Connect on one port. Stops cleanly on SIGINT or SIGTERM.
  --settings FILE     the settings file (default config/settings.yaml when it exists)
  --port PORT         the port to listen on (overrides the settings)
  --host HOST         the address to bind (overrides the settings; default 127.0.0.1)
`,
  sandbox: `Usage: podium-router sandbox [--port 8787] [--host 127.0.0.1]

Runs the Podium API sandbox (OAuth, /v4 routes, admin routes under /_sandbox) until SIGINT or SIGTERM.
  --port PORT         the port to listen on (default 8787; 0 picks a free one)
  --host HOST         the address to bind (default 127.0.0.1)
`,
  dev: `Usage: podium-router dev [--port 8080] [--sandbox-port 8787] [--state-dir .podium-router-dev]
                        [--api-key KEY]

Runs the Podium sandbox and a router in front of it, with the demo locations Sydney and Burleigh Heads
(organization coastal-smiles) onboarded, then prints the address, an API key and commands to paste.
Runs until SIGINT or SIGTERM; running it again reuses the state directory.
  --port PORT         the router's port (default 8080)
  --sandbox-port PORT the sandbox's port (default 8787)
  --state-dir DIR     credentials, refresh tokens, audit log and the dev API key (default .podium-router-dev)
  --api-key KEY       the API key the router accepts (default: generated once and kept in the state dir)
`,
  health: `Usage: podium-router health [--server URL] [--protocol P]

Asks the router's grpc.health.v1.Health service (no API key needed) and prints SERVING or NOT_SERVING.
The container image's HEALTHCHECK runs it against PODIUM_ROUTER_URL (http://127.0.0.1:8080 there).

Exit status: 0 serving; 1 not serving (shutting down); 2 no answer.

${connection}
`,
  credentials: `Usage: podium-router credentials reencrypt [--settings FILE]

Re-encrypts every refresh token in the PostgreSQL credential store (credentials.backend: postgres), and every
webhook secret of inbound events, under credentials.encryption.active_key_id, then prints how many each key id
still encrypts. Runs on a host that reaches the database, with the router's settings and key references (no
router needed; routers may keep running). Drop an old key from credentials.encryption.keys only once it
counts nothing.
  --settings FILE     the settings file (default config/settings.yaml when it exists)

Exit status: 0 done; 1 a key reference cannot be read or the database cannot be used (ERR_LOC_CREDENTIAL);
2 bad arguments or settings (including a file backend).
`,
};
