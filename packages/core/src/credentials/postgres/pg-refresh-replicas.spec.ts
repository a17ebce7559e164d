import { randomBytes } from "node:crypto";
import { createSandbox } from "@podium-router/podium-sandbox";
import type { AddedGrant, Sandbox } from "@podium-router/podium-sandbox";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LocationRecord } from "../credential-store.js";
import { createLocationAuth } from "../../oauth/location-auth.js";
import type { LocationAuth, LocationAuthOptions } from "../../oauth/location-auth.js";
import { createPgCredentialStore } from "./pg-credential-store.js";
import type { PgCredentialStore } from "./pg-credential-store.js";
import { refreshCoordinationFor } from "../refresh-coordination.js";
import { absentNote, dropTestSchema, requirePostgres, TEST_POSTGRES_URL, testSchemaName } from "../../testing/services.js";
import { createUpstreamClient } from "../../upstream/upstream-client.js";
import type { UpstreamClient } from "../../upstream/upstream-client.js";
import { validateSettings } from "../../settings/settings.js";

const postgres = await requirePostgres();
const key = randomBytes(32);

/** Two router replicas: each its own store (own pool), upstream client and LocationAuth for one location. */
describe.skipIf(!postgres)(`refreshCoordinationFor() with createPgCredentialStore()${absentNote("PostgreSQL", postgres)}`, () => {
  let sandbox: Sandbox;
  let schema: string;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // Rotation with no grace: a refresh token works exactly once, so any lost or stale write shows.
    sandbox = await createSandbox({ rotateRefreshTokens: true, rateLimit: false });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(() => {
    schema = testSchemaName();
  });
  afterEach(async () => {
    sandbox.resetFaults();
    await Promise.all(closers.splice(0).map((close) => close()));
    await dropTestSchema(schema);
  });

  function store(): PgCredentialStore {
    const s = createPgCredentialStore({ url: TEST_POSTGRES_URL, schema, poolMax: 2, keys: new Map([["k1", key]]), activeKeyId: "k1" });
    closers.push(() => s.close());
    return s;
  }

  function upstream(): UpstreamClient {
    const u = createUpstreamClient(validateSettings({ upstream: { base_url: sandbox.url } }).upstream);
    closers.push(() => u.close());
    return u;
  }

  async function onboard(s: PgCredentialStore): Promise<{ grant: AddedGrant; record: LocationRecord }> {
    const grant = sandbox.addGrant({ locations: ["Sydney"] });
    const uid = grant.locations[0]?.uid as string;
    const now = new Date().toISOString();
    const record: LocationRecord = {
      locationUid: uid,
      orgSlug: "replica-org",
      clientIdRef: "env:CLIENT_ID",
      clientSecretRef: "env:CLIENT_SECRET",
      refreshTokenFile: `pg:${uid}`,
      state: "active",
      createdAt: now,
      updatedAt: now,
    };
    expect(await s.insert(record, { refreshToken: grant.refreshToken })).toBe(true);
    return { grant, record };
  }

  function replica(s: PgCredentialStore, grant: AddedGrant, record: LocationRecord, over: Partial<LocationAuthOptions> = {}): LocationAuth {
    return createLocationAuth({
      locationUid: record.locationUid,
      tokenUrl: `${sandbox.url}/oauth/token`,
      clientId: grant.clientId,
      clientSecret: grant.clientSecret,
      readRefreshToken: () => s.readRefreshToken(record),
      writeRefreshToken: (token) => s.writeRefreshToken(record, token),
      coordination: refreshCoordinationFor(s, record),
      expiryMarginMs: 60_000,
      upstream: upstream(),
      ...over,
    });
  }

  /** Does Podium (the sandbox) still accept this refresh token? Spends it (rotation), so call it last. */
  async function stillWorks(grant: AddedGrant, refreshToken: string): Promise<number> {
    const res = await upstream().postToken(
      { grant_type: "refresh_token", refresh_token: refreshToken, client_id: grant.clientId, client_secret: grant.clientSecret },
      { tokenUrl: `${sandbox.url}/oauth/token` },
    );
    return res.status;
  }

  it("never loses the token when two replicas refresh one location at once, round after round", async () => {
    const [storeA, storeB] = [store(), store()];
    const { grant, record } = await onboard(storeA);
    const [a, b] = [replica(storeA, grant, record), replica(storeB, grant, record)];
    let tokens: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (const t of tokens) [a, b].forEach((auth) => auth.invalidate(t));
      tokens = await Promise.all([a.getAccessToken(), b.getAccessToken()]);
      expect(new Set(tokens).size).toBe(2); // each replica got its own access token
    }
    expect(sandbox.stats().tokenRefreshes[grant.grantId]).toBe(10);
    const stored = await storeB.readRefreshTokenVersioned(record);
    expect(stored.version).toBe(10);
    expect(stored.token).toBe(sandbox.fixture.grants.find((g) => g.grantId === grant.grantId)?.refreshToken);
    expect(await stillWorks(grant, stored.token)).toBe(200);
  });

  it("control: without the lock, the replica that loses the race is refused by Podium", async () => {
    const [storeA, storeB] = [store(), store()];
    const { grant, record } = await onboard(storeA);
    // Both read before either refreshes, as two uncoordinated processes can.
    let reads = 0;
    let bothRead!: () => void;
    const barrier = new Promise<void>((r) => (bothRead = r));
    const readThenWait = (s: PgCredentialStore) => async () => {
      const token = await s.readRefreshToken(record);
      if (++reads === 2) bothRead();
      await barrier;
      return token;
    };
    const a = replica(storeA, grant, record, { coordination: undefined, readRefreshToken: readThenWait(storeA) });
    const b = replica(storeB, grant, record, { coordination: undefined, readRefreshToken: readThenWait(storeB) });
    const outcomes = await Promise.allSettled([a.getAccessToken(), b.getAccessToken()]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ code: "ERR_LOC_AUTH" });
  });

  it("fences out a replica whose lock expired mid-refresh: its write is refused and the newer token stays", async () => {
    // A grace period lets the stalled replica's late refresh succeed, so it does reach the store with a stale version.
    sandbox.setFaults({ rotationGraceSeconds: 30 });
    const [storeA, storeB] = [store(), store()];
    const { grant, record } = await onboard(storeA);
    let releaseSlow!: () => void;
    const slowMayGo = new Promise<void>((r) => (releaseSlow = r));
    // A is in its token request: it holds the lock and read version 0. B starts only then, so a loaded machine
    // cannot let B take the lock first (A would then read B's version 1 and its write would rightly succeed).
    let inRefresh!: () => void;
    const aHoldsLock = new Promise<void>((r) => (inRefresh = r));
    const slowUpstream = upstream();
    const a = replica(storeA, grant, record, {
      coordination: refreshCoordinationFor(storeA, record, { lockTtlMs: 100 }),
      upstream: {
        postToken: async (body, opts) => {
          inRefresh();
          await slowMayGo; // stalls holding the lock past its ttl
          return slowUpstream.postToken(body, opts);
        },
      },
    });
    const b = replica(storeB, grant, record);
    const slow = a.getAccessToken();
    await Promise.race([aHoldsLock, slow]);
    const fast = await b.getAccessToken(); // takes the expired lock, refreshes, stores version 1
    const afterB = await storeA.readRefreshTokenVersioned(record);
    expect(afterB.version).toBe(1);
    releaseSlow();
    const late = await slow; // its refresh works, its write (expecting version 0) is refused
    expect(late).not.toBe(fast);
    expect(await storeA.readRefreshTokenVersioned(record)).toEqual(afterB);
    expect(await stillWorks(grant, afterB.token)).toBe(200);
  });
});
