import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { Code, createClient, type Client, type ConnectError, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { defaultFixtureIds } from "@podium-router/podium-sandbox";
import { ErrorDetailSchema, LocationRouterService, OnboardingOutcome } from "@podium-router/proto";
import { rawRequest, refusalOf, wireError } from "../test/raw-wire.js";
import { OPS_KEY, REAL_BURLEIGH, REAL_SYDNEY, startRealRouter, type RealRouter } from "../test/real-router.js";
import { connectFailure } from "../test/connect-failure.js";
import { hashApiKey } from "./caller-auth.js";

// Issue 11 item 1: callers never name a secret. Secret references come only from the operator's settings;
// a request names a configured OAuth app its key is granted, and carries a refresh token as its value.
// Nothing a caller sends is ever read as a path or an environment variable name.

const cs = defaultFixtureIds.coastalSmiles;
const ha = defaultFixtureIds.harbourAuto;
/** Granted Sydney alone, the onboarding RPCs, and coastal-smiles' app alone. */
const SYDNEY_ONBOARDER_KEY = "pr_real_sydney_onboarder_5c1e0a";
const onboarderGrant = { name: "sydney-onboarder", key_sha256: hashApiKey(SYDNEY_ONBOARDER_KEY), locations: [REAL_SYDNEY], rpcs: ["OnboardLocations", "BeginAuthorization", "AwaitAuthorization"], oauth_apps: ["coastal-smiles"] };
const opsGrant = { name: "ops", key_sha256: hashApiKey(OPS_KEY), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] };
const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, timeoutMs: 10_000 });

/** What a caller must never learn, and the router must never write down. */
function secretsOfThisHost(): string[] {
  const out: string[] = [cs.app.clientSecret, ha.app.clientSecret, cs.ownerGrant.refreshToken, cs.sydneyGrant.refreshToken, ha.ownerGrant.refreshToken];
  try {
    const hostname = readFileSync("/etc/hostname", "utf8").trim();
    if (hostname.length >= 6) out.push(hostname);
  } catch {
    // no such file here
  }
  const path = process.env["PATH"];
  if (path !== undefined && path.length >= 6) out.push(path);
  return out;
}

const transports = (url: string): Record<string, Transport> => ({
  "gRPC (grpc-js engine)": createGrpcTransport({ baseUrl: url }),
  "Connect (HTTP/1.1)": createConnectTransport({ baseUrl: url, httpVersion: "1.1" }),
  "gRPC-Web (HTTP/1.1)": createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
});

/** The files of a directory, none when it was never made. */
const filesIn = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};
async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

/** Every hostile way of naming a secret, and the refusal each gets. */
const hostileApps: Array<[string, string, Code]> = [
  ["a file: reference", "file:/etc/hostname", Code.InvalidArgument],
  ["an env: reference", "env:PATH", Code.InvalidArgument],
  ["an env: reference to the app's own secret", "env:CS_CLIENT_SECRET", Code.InvalidArgument],
  ["a path", "/etc/hostname", Code.InvalidArgument],
  ["a relative path", "../locations.json", Code.InvalidArgument],
  ["another organization's configured app", "harbour-auto", Code.PermissionDenied],
  ["an app the router does not have", "acme-dental", Code.PermissionDenied],
  ["no app at all", "", Code.InvalidArgument],
];

describe("callers never name a secret (over the wire, on a real server and core)", () => {
  let r: RealRouter;
  beforeAll(async () => {
    r = await startRealRouter({ api_keys: [opsGrant, onboarderGrant] });
  });
  afterAll(async () => {
    await r?.close();
  });

  /** The refusal a hostile request got: code, ErrorDetail, its audit line, and that nothing left the router. */
  async function expectRefused(err: ConnectError, code: Code, seq: number, rpc: string, protocol: string): Promise<void> {
    expect(err.code, protocol).toBe(code);
    const detail = err.findDetails(ErrorDetailSchema)[0];
    expect(detail?.reason, protocol).toBe(code === Code.InvalidArgument ? "ERR_LOC_BAD_REQUEST" : "ERR_LOC_PERMISSION_DENIED");
    expect(detail?.requestId, protocol).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    await vi.waitFor(() =>
      expect(r.auditLines().find((l) => l.request_id === detail?.requestId), protocol).toMatchObject({
        location_uid: REAL_SYDNEY,
        caller: "sydney-onboarder",
        error_code: detail?.reason,
        endpoint: `router:${rpc}`,
        status: 0,
      }),
    );
    // Nothing went to Podium: no token exchange, no consent, no listing.
    expect(r.sandbox.ledger(seq), protocol).toEqual([]);
    const answer = `${err.rawMessage} ${JSON.stringify(err.details)} ${JSON.stringify(detail)}`;
    for (const secret of secretsOfThisHost()) expect(answer.includes(secret), `${protocol}: the answer carries a secret`).toBe(false);
  }

  for (const [what, oauthApp, code] of hostileApps) {
    it(`OnboardLocations and BeginAuthorization naming ${what} are refused (${Code[code]}) on every protocol`, async () => {
      for (const [protocol, transport] of Object.entries(transports(r.url))) {
        const client: Client<typeof LocationRouterService> = createClient(LocationRouterService, transport);
        let seq = r.lastSeq();
        const onboard = await connectFailure(drain(client.onboardLocations({ locations: [{ locationUid: REAL_SYDNEY, orgSlug: cs.slug, oauthApp, refreshToken: cs.ownerGrant.refreshToken }] }, auth(SYDNEY_ONBOARDER_KEY))));
        await expectRefused(onboard, code, seq, "OnboardLocations", protocol);
        seq = r.lastSeq();
        const begin = await connectFailure(client.beginAuthorization({ locationUid: REAL_SYDNEY, orgSlug: cs.slug, oauthApp }, auth(SYDNEY_ONBOARDER_KEY)));
        await expectRefused(begin, code, seq, "BeginAuthorization", protocol);
      }
    });
  }

  it("a granted app for a location the key is not granted is refused too", async () => {
    const client = createClient(LocationRouterService, transports(r.url)["Connect (HTTP/1.1)"]!);
    const err = await connectFailure(drain(client.onboardLocations({ locations: [{ locationUid: REAL_BURLEIGH, orgSlug: cs.slug, oauthApp: "coastal-smiles", refreshToken: cs.ownerGrant.refreshToken }] }, auth(SYDNEY_ONBOARDER_KEY))));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toContain(`not granted location ${REAL_BURLEIGH}`);
  });

  it("the old reference fields are gone: binary requests carrying them name no app, JSON requests carrying them do not decode", async () => {
    // BeginAuthorizationRequest as an old client encodes it: 1 location_uid, 2 org_slug, 3 client_id_ref, 4 client_secret_ref.
    const old = new BinaryWriter().uint32(10).string(REAL_SYDNEY).uint32(18).string(cs.slug).uint32(26).string("file:/etc/hostname").uint32(34).string("env:CS_CLIENT_SECRET").finish();
    const seq = r.lastSeq();
    const binary = await rawRequest(r.url, { protocol: "connect", http: "1.1", path: "/podium.router.v1.LocationRouterService/BeginAuthorization", headers: { authorization: `Bearer ${SYDNEY_ONBOARDER_KEY}` }, body: old });
    expect(refusalOf(wireError("connect", binary))).toMatchObject({ code: "InvalidArgument", reason: "ERR_LOC_BAD_REQUEST", message: expect.stringContaining("oauth_app is required") });
    const json = await fetch(`${r.url}/podium.router.v1.LocationRouterService/BeginAuthorization`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${SYDNEY_ONBOARDER_KEY}` },
      body: JSON.stringify({ locationUid: REAL_SYDNEY, orgSlug: cs.slug, clientIdRef: "file:/etc/hostname", clientSecretRef: "env:PATH" }),
    });
    const answer = await json.text();
    expect(json.status).toBe(400);
    expect(JSON.parse(answer)).toMatchObject({ code: "invalid_argument" });
    for (const text of [binary.body.toString("latin1"), JSON.stringify(binary.headers), answer]) {
      for (const secret of secretsOfThisHost()) expect(text.includes(secret)).toBe(false);
    }
    expect(r.sandbox.ledger(seq)).toEqual([]);
  });

  it("a granted app is used by name: consent asks for its client id (never its secret), and a token sent as a value onboards", async () => {
    const client = createClient(LocationRouterService, transports(r.url)["gRPC (grpc-js engine)"]!);
    const begun = await client.beginAuthorization({ locationUid: REAL_SYDNEY, orgSlug: cs.slug, oauthApp: "coastal-smiles" }, auth(SYDNEY_ONBOARDER_KEY));
    expect(new URL(begun.authorizeUrl).searchParams.get("client_id")).toBe(cs.app.clientId);
    expect(begun.authorizeUrl).not.toContain(cs.app.clientSecret);

    const NEWCASTLE = cs.locations.newcastle;
    const results = await drain(client.onboardLocations({ locations: [{ locationUid: NEWCASTLE, orgSlug: cs.slug, oauthApp: "coastal-smiles", refreshToken: cs.ownerGrant.refreshToken }] }, auth(OPS_KEY)));
    expect(results.map((x) => [x.locationUid, x.outcome])).toEqual([[NEWCASTLE, OnboardingOutcome.ONBOARDED]]);
    const record = await r.router.listLocations();
    expect(record.map((l) => l.locationUid)).toContain(NEWCASTLE);
    // The token sits in the router's own refresh-token directory, 0600; the caller named no path.
    const tokens = filesIn(join(r.dir, "refresh-tokens"));
    expect(tokens.filter((f) => f.startsWith(`${NEWCASTLE}.`))).toHaveLength(1);
    expect((await client.call({ locationUid: NEWCASTLE, method: "GET", path: `/v4/locations/${NEWCASTLE}` }, auth(OPS_KEY))).status).toBe(200);
    // No response, log line or audit line carries the token or a client secret.
    await vi.waitFor(() => expect(r.auditLines().some((l) => l.location_uid === NEWCASTLE && l.endpoint === "router:OnboardLocations")).toBe(true));
    const written = `${JSON.stringify(results)}\n${r.logText()}\n${JSON.stringify(r.auditLines())}`;
    for (const secret of [cs.ownerGrant.refreshToken, cs.app.clientSecret, ha.app.clientSecret]) expect(written.includes(secret), "a secret was written").toBe(false);
  });
});

// The first address of this host that is not loopback, to reach the router the way another host would.
const outward = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
if (outward === undefined) console.warn("callers-never-name-a-secret.spec.ts: no non-loopback IPv4 address here; the cleartext tests are skipped");

describe.skipIf(outward === undefined)("refresh tokens over cleartext from another host", () => {
  const onboardNewcastle = (client: Client<typeof LocationRouterService>) =>
    drain(client.onboardLocations({ locations: [{ locationUid: cs.locations.newcastle, orgSlug: cs.slug, oauthApp: "coastal-smiles", refreshToken: cs.ownerGrant.refreshToken }] }, auth(OPS_KEY)));

  it("are refused (PERMISSION_DENIED, audited, nothing sent or stored) unless the operator allows them", async () => {
    const r = await startRealRouter({ host: outward, api_keys: [opsGrant] });
    try {
      expect(new URL(r.url).hostname).toBe(outward);
      for (const [protocol, transport] of Object.entries(transports(r.url))) {
        const seq = r.lastSeq();
        const err = await connectFailure(onboardNewcastle(createClient(LocationRouterService, transport)));
        expect(err.code, protocol).toBe(Code.PermissionDenied);
        expect(err.rawMessage, protocol).toContain("accepted only over TLS or from this host");
        const detail = err.findDetails(ErrorDetailSchema)[0];
        expect(detail?.reason, protocol).toBe("ERR_LOC_PERMISSION_DENIED");
        await vi.waitFor(() => expect(r.auditLines().find((l) => l.request_id === detail?.requestId), protocol).toMatchObject({ location_uid: cs.locations.newcastle, error_code: "ERR_LOC_PERMISSION_DENIED", caller: "ops" }));
        expect(r.sandbox.ledger(seq), protocol).toEqual([]);
        expect(err.rawMessage).not.toContain(cs.ownerGrant.refreshToken);
      }
      expect((await r.router.listLocations()).map((l) => l.locationUid)).not.toContain(cs.locations.newcastle);
      expect(filesIn(join(r.dir, "refresh-tokens")).filter((f) => f.startsWith(cs.locations.newcastle))).toEqual([]);
      // A request that carries no secret is served as before.
      const client = createClient(LocationRouterService, transports(r.url)["Connect (HTTP/1.1)"]!);
      expect((await client.beginAuthorization({ locationUid: cs.locations.byronBay, orgSlug: cs.slug, oauthApp: "coastal-smiles" }, auth(OPS_KEY))).state).not.toBe("");
    } finally {
      await r.close();
    }
  });

  it("are accepted when server.allow_cleartext_secrets says the network is trusted", async () => {
    const r = await startRealRouter({ host: outward, api_keys: [opsGrant], allow_cleartext_secrets: true });
    try {
      const results = await onboardNewcastle(createClient(LocationRouterService, transports(r.url)["gRPC (grpc-js engine)"]!));
      expect(results.map((x) => x.outcome)).toEqual([OnboardingOutcome.ONBOARDED]);
    } finally {
      await r.close();
    }
  });
});
