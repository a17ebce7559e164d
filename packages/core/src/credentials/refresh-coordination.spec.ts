import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CredentialStore, LocationRecord } from "./credential-store.js";
import { createFileCredentialStore } from "./file/file-credential-store.js";
import { UnknownLocationError } from "@podium-router/errors";
import { createLocationAuth } from "../oauth/location-auth.js";
import type { LocationAuthOptions } from "../oauth/location-auth.js";
import { RefreshTokenConflictError } from "@podium-router/errors";
import { refreshCoordinationFor } from "./refresh-coordination.js";
import type { RefreshCoordination } from "./refresh-coordination.js";

const record: LocationRecord = {
  locationUid: "loc-1",
  orgSlug: "org",
  clientIdRef: "env:CLIENT_ID",
  clientSecretRef: "env:CLIENT_SECRET",
  refreshTokenFile: "pg:loc-1",
  state: "active",
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:00:00.000Z",
};

/** A token endpoint that rotates: answers `at-N` and `rt-N`, and records the refresh tokens it was sent. */
function rotatingEndpoint() {
  const sent: string[] = [];
  return {
    sent,
    upstream: {
      async postToken(body: Record<string, string>) {
        sent.push(body.refresh_token as string);
        return { status: 200, json: { access_token: `at-${sent.length}`, refresh_token: `rt-${sent.length}`, expires_in: 3600 } };
      },
    },
  };
}

/** A versioned store in memory behind a coordination, with hooks to play the other replica. */
function sharedStore(initial: string) {
  const state = { token: initial, version: 0, locks: 0, writes: [] as Array<{ token: string; expected: number | undefined }> };
  let beforeLock: (() => void) | undefined;
  let failWrite: Error | undefined;
  const coordination: RefreshCoordination = {
    async withLock(fn) {
      beforeLock?.();
      state.locks++;
      return fn();
    },
    async read() {
      return { token: state.token, version: state.version };
    },
    async write(token, expected) {
      state.writes.push({ token, expected });
      if (failWrite) throw failWrite;
      if (expected !== undefined && expected !== state.version) {
        throw new RefreshTokenConflictError({ locationUid: "loc-1", expectedVersion: expected, storedVersion: state.version });
      }
      state.token = token;
      state.version++;
    },
  };
  return {
    state,
    coordination,
    /** Another replica rotates the token while this one waits for the lock. */
    otherReplicaRotatesBeforeLock(token: string) {
      beforeLock = () => {
        state.token = token;
        state.version++;
        beforeLock = undefined;
      };
    },
    failWrites(err: Error | undefined) {
      failWrite = err;
    },
  };
}

function auth(upstream: LocationAuthOptions["upstream"], coordination: RefreshCoordination) {
  return createLocationAuth({
    locationUid: "loc-1",
    tokenUrl: "http://podium.invalid/oauth/token",
    clientId: "client",
    clientSecret: "secret",
    readRefreshToken: async () => {
      throw new Error("not used with coordination");
    },
    writeRefreshToken: async () => {
      throw new Error("not used with coordination");
    },
    coordination,
    expiryMarginMs: 60_000,
    upstream,
  });
}

describe("refreshCoordinationFor()", () => {
  it("is undefined for a store without a refresh lock (the file store)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "coord-"));
    try {
      expect(refreshCoordinationFor(createFileCredentialStore({ path: join(dir, "l.json") }), record)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("uses a fresh owner per acquisition, and plain reads and writes when the store has a lock but no versions", async () => {
    const owners: string[] = [];
    const writes: unknown[][] = [];
    const store = {
      withRefreshLock: async <T>(_uid: string, owner: string, _ttl: number, fn: () => Promise<T>) => {
        owners.push(owner);
        return fn();
      },
      readRefreshToken: async () => "rt-file",
      writeRefreshToken: async (...args: unknown[]) => {
        writes.push(args);
      },
    } as unknown as CredentialStore;
    const c = refreshCoordinationFor(store, record, { ownerPrefix: "replica-a" }) as RefreshCoordination;
    expect(await c.withLock(() => c.read())).toEqual({ token: "rt-file" });
    await c.withLock(() => c.write("rt-next", undefined));
    expect(writes).toEqual([[record, "rt-next"]]);
    expect(owners).toHaveLength(2);
    expect(owners[0]).toMatch(/^replica-a:/);
    expect(owners[0]).not.toBe(owners[1]);
  });
});

describe("refreshCoordinationFor() before the record is stored", () => {
  it("runs the refresh unlocked while the store does not know the location yet, and only then", async () => {
    let stored = false;
    let fnRuns = 0;
    const store = {
      withRefreshLock: async <T>(uid: string, _owner: string, _ttl: number, fn: () => Promise<T>) => {
        if (!stored) throw new UnknownLocationError({ locationUid: uid });
        return fn();
      },
      readRefreshToken: async () => "rt-file",
      writeRefreshToken: async () => undefined,
    } as unknown as CredentialStore;
    const c = refreshCoordinationFor(store, record) as RefreshCoordination;
    expect(await c.withLock(async () => ++fnRuns)).toBe(1);
    stored = true;
    // An UnknownLocationError from inside the refresh itself is not retried.
    await expect(c.withLock(async () => {
      fnRuns++;
      throw new UnknownLocationError({ locationUid: "loc-1" });
    })).rejects.toMatchObject({ code: "ERR_LOC_UNKNOWN" });
    expect(fnRuns).toBe(2);
  });
});

describe("createLocationAuth({ coordination })", () => {
  it("re-reads the token under the lock, so it refreshes with what another replica just stored", async () => {
    const endpoint = rotatingEndpoint();
    const shared = sharedStore("rt-0");
    shared.otherReplicaRotatesBeforeLock("rt-other");
    expect(await auth(endpoint.upstream, shared.coordination).getAccessToken()).toBe("at-1");
    expect(endpoint.sent).toEqual(["rt-other"]);
    expect(shared.state.writes).toEqual([{ token: "rt-1", expected: 1 }]);
    expect(shared.state).toMatchObject({ token: "rt-1", version: 2, locks: 1 });
  });

  it("keeps the access token when a newer refresh token won the write (fenced out), and keeps the stored one", async () => {
    const endpoint = rotatingEndpoint();
    const shared = sharedStore("rt-0");
    const a = auth(endpoint.upstream, {
      ...shared.coordination,
      // The version moves between this replica's read and its write: its lock expired and another took over.
      read: async () => {
        const seen = await shared.coordination.read();
        shared.state.token = "rt-newer";
        shared.state.version++;
        return seen;
      },
    });
    expect(await a.getAccessToken()).toBe("at-1");
    expect(shared.state.writes).toEqual([{ token: "rt-1", expected: 0 }]);
    expect(shared.state).toMatchObject({ token: "rt-newer", version: 1 });
  });

  it("presents a rotated token it failed to store on the next refresh, unless the store has moved on", async () => {
    const endpoint = rotatingEndpoint();
    const shared = sharedStore("rt-0");
    const a = auth(endpoint.upstream, shared.coordination);
    shared.failWrites(new Error("connection lost"));
    await expect(a.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_CREDENTIAL" });
    shared.failWrites(undefined);
    expect(await a.getAccessToken()).toBe("at-2");
    expect(endpoint.sent).toEqual(["rt-0", "rt-1"]); // the unsaved rt-1: Podium already retired rt-0
    expect(shared.state).toMatchObject({ token: "rt-2", version: 1 });

    const b = auth(endpoint.upstream, shared.coordination);
    shared.failWrites(new Error("connection lost"));
    await expect(b.getAccessToken()).rejects.toMatchObject({ code: "ERR_LOC_CREDENTIAL" }); // Podium issued rt-3
    shared.failWrites(undefined);
    shared.otherReplicaRotatesBeforeLock("rt-from-elsewhere");
    await b.getAccessToken();
    expect(endpoint.sent.at(-1)).toBe("rt-from-elsewhere"); // the store moved on: its token wins over the unsaved rt-3
  });
});
