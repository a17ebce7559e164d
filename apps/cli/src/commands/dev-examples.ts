/** What the dev banner describes. */
export interface DevExamplesInput {
  routerUrl: string;
  sandboxUrl: string;
  apiKey: string;
  /** Where the key came from, e.g. "kept in .podium-router-dev/dev-api-key". */
  apiKeyOrigin: string;
  stateDir: string;
  locations: { name: string; locationUid: string; outcome: string }[];
  /** A location not yet onboarded, the configured app and a local refresh-token file, for the `onboard` example. */
  onboardExample: { locationUid: string; orgSlug: string; oauthApp: string; refreshTokenFile: string };
}

const SERVICE = "podium.router.v1.LocationRouterService";

/**
 * The text `podium-router dev` prints: addresses, the API key, and commands that work when pasted into
 * a POSIX shell. Each command is one line, so it can be copied (and a test can run it) as is.
 */
export function devExamples(d: DevExamplesInput): string {
  const sydney = d.locations[0]?.locationUid ?? "";
  // No phone number or email: Sydney's credential reaches Sydney only, so the router cannot prove that no other
  // location's customer has them (Podium's create is an upsert on both) and would refuse the create.
  const contact = { name: "Ada Lovelace", locations: [sydney] };
  const callJson = JSON.stringify({ locationUid: sydney, method: "POST", path: "/v4/contacts", body: JSON.stringify(contact) });
  const listJson = JSON.stringify({ locationUid: sydney, method: "GET", path: "/v4/contacts?limit=10" });
  const auth = `-H ${shellQuote(`authorization: Bearer ${d.apiKey}`)}`;
  const lines = [
    `podium-router dev is running.`,
    ``,
    `  router   ${d.routerUrl}   (gRPC, gRPC-Web and Connect on one port)`,
    `  sandbox  ${d.sandboxUrl}   (the Podium API simulator)`,
    `  API key  ${d.apiKey}   (${d.apiKeyOrigin})`,
    `  state    ${d.stateDir}`,
    ``,
    `Locations (organization coastal-smiles):`,
    ...d.locations.map((l) => `  ${l.name.padEnd(15)} ${l.locationUid}  ${l.outcome}`),
    ``,
    `Create a contact for Sydney with curl (Connect JSON). Sydney's credential reaches Sydney only, so a create with a`,
    `phone number or email is refused there (ERR_LOC_NOT_OWNED: Podium's create is an upsert, and the router cannot`,
    `prove no other location's customer has them); Burleigh Heads' credential reaches every location and may:`,
    `  curl -sS ${auth} -H 'content-type: application/json' -d ${shellQuote(callJson)} ${d.routerUrl}/${SERVICE}/Call`,
    ``,
    `List Sydney's contacts with buf curl over gRPC (the schema comes from server reflection):`,
    `  npx buf curl --protocol grpc --http2-prior-knowledge ${auth} -d ${shellQuote(listJson)} ${d.routerUrl}/${SERVICE}/Call`,
    ``,
    `Or with the CLI:`,
    `  export PODIUM_ROUTER_URL=${d.routerUrl} PODIUM_ROUTER_API_KEY=${d.apiKey}`,
    `  npx podium-router locations list`,
    `  npx podium-router verify --location-uid ${sydney}`,
    `  npx podium-router call GET '/v4/contacts?limit=10' --location-uid ${sydney}`,
    `  npx podium-router audit --location-uid ${sydney} --output table`,
    ``,
    `Onboard another location: the router knows the sandbox's app as "${d.onboardExample.oauthApp}" (oauth_apps); the CLI reads the`,
    `refresh token from the local file and sends it (the router never reads a path or variable a caller names):`,
    `  npx podium-router onboard --location-uid ${d.onboardExample.locationUid} --org-slug ${d.onboardExample.orgSlug} --oauth-app ${d.onboardExample.oauthApp} --refresh-token-file ${shellQuote(d.onboardExample.refreshTokenFile)}`,
    ``,
    `Follow Sydney's Podium events (the sandbox posts a webhook for each write, e.g. the contact above):`,
    `  npx podium-router events tail --location-uid ${sydney} --from-start`,
    ``,
    `Press Ctrl-C to stop.`,
    ``,
  ];
  return lines.join("\n");
}

/** Quotes a value for a POSIX shell: single quotes, with embedded ones closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
