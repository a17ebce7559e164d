import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createLocationRouter, MAX_AUDIT_LINE_BYTES, validateSettings } from "@podium-router/core";
import { createSandbox, defaultFixtureIds, type Sandbox } from "@podium-router/podium-sandbox";
import { hashApiKey } from "./caller-auth.js";
import { createRouterServer, type RouterServer } from "./router-server.js";
import { createServerLogger } from "./server-logger.js";
import { validateServerSettings } from "./server-settings.js";

// A Python caller with Debian's python3-grpcio and python3-grpc-tools: stubs generated from proto/
// with grpc_tools.protoc, called against the real server, core and sandbox.
const PYTHON = "/usr/bin/python3";
const REQUIRE_SERVICES_ENV = "PODIUM_ROUTER_REQUIRE_SERVICES";
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const script = fileURLToPath(new URL("../test/python/route_contact.py", import.meta.url));
const hostileScript = fileURLToPath(new URL("../test/python/hostile_inputs.py", import.meta.url));
const run = promisify(execFile);

/** Empty when Debian's grpc packages import under /usr/bin/python3, else why not; throws in CI. */
function pythonGrpcMissing(): string {
  const probe = spawnSync(PYTHON, ["-c", "import grpc, grpc_tools"], { encoding: "utf8", timeout: 10_000 });
  if (probe.status === 0) return "";
  const why = probe.error?.message ?? probe.stderr.trim().split("\n").at(-1) ?? `exit ${probe.status}`;
  if (process.env[REQUIRE_SERVICES_ENV] === "1") throw new Error(`${PYTHON} with grpcio and grpc_tools is required (${REQUIRE_SERVICES_ENV}=1): ${why}`);
  console.warn(`${PYTHON} cannot import grpc and grpc_tools (${why}); the Python client test is skipped`);
  return ` [skipped: install python3-grpcio and python3-grpc-tools, or set ${REQUIRE_SERVICES_ENV}=1 to fail instead]`;
}

const missing = pythonGrpcMissing();
const cs = defaultFixtureIds.coastalSmiles;
const SYDNEY = cs.locations.sydney;
const UNKNOWN = "00000000-0000-4000-8000-00000000beef";
const KEY = "pr_py_it_5c0ffee1d2";

/** What hostile_inputs.py saw for one case. */
interface HostileOutcome {
  code: string;
  message_len?: number;
  trailer_bytes?: number;
  details?: { reason: string; location_uid: string; request_id: string }[];
}

interface ScriptOutput {
  contact: { status: number; request_id: string; identifier: string };
  unknown: { code: string; message?: string; details?: { reason: string; location_uid: string; request_id: string }[] };
}

describe.skipIf(missing !== "")(`a Python grpcio client${missing}`, () => {
  let sandbox: Sandbox;
  let server: RouterServer;
  let dir: string;
  let target: string;

  beforeAll(async () => {
    sandbox = await createSandbox();
    dir = mkdtempSync(join(tmpdir(), "router-python-"));
    writeFileSync(join(dir, "owner.rt"), cs.ownerGrant.refreshToken, { mode: 0o600 });
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: join(dir, "audit.jsonl"), fsync: "never" },
      credentials: { path: join(dir, "locations.json") },
    });
    const env = { CS_CLIENT_ID: cs.app.clientId, CS_CLIENT_SECRET: cs.app.clientSecret };
    const logger = createServerLogger({ level: "warn", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const router = await createLocationRouter({ settings, env, logger });
    const input = { locationUid: SYDNEY, orgSlug: cs.slug, clientIdRef: "env:CS_CLIENT_ID", clientSecretRef: "env:CS_CLIENT_SECRET", refreshTokenFile: join(dir, "owner.rt") };
    for await (const r of router.onboardLocations([input])) expect(r.outcome).toBe("onboarded");
    const serverSettings = validateServerSettings({ port: 0, api_keys: [{ name: "python-app", key_sha256: hashApiKey(KEY), locations: ["*"], rpcs: ["Call"] }] });
    server = createRouterServer({ router, settings: serverSettings, logger });
    target = `127.0.0.1:${(await server.listen()).port}`;

    const stubs = join(dir, "stubs");
    mkdirSync(stubs);
    await run(
      PYTHON,
      ["-m", "grpc_tools.protoc", "-I", "proto", `--python_out=${stubs}`, `--grpc_python_out=${stubs}`, "podium/router/v1/router.proto", "google/rpc/error_details.proto"],
      { cwd: repoRoot, timeout: 30_000 },
    );
  });

  afterAll(async () => {
    await server?.close();
    await sandbox?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function readAudit(): { request_id: string; error_code?: string; location_uid: string; method: string; endpoint: string; caller?: string }[] {
    return readFileSync(join(dir, "audit.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as ReturnType<typeof readAudit>[number]);
  }

  async function runScript(): Promise<ScriptOutput> {
    const { stdout } = await run(PYTHON, [script, join(dir, "stubs"), target, SYDNEY, UNKNOWN], {
      env: { ...process.env, PODIUM_ROUTER_API_KEY: KEY },
      timeout: 30_000,
    });
    return JSON.parse(stdout) as ScriptOutput;
  }

  it("routes a contact write for Sydney and receives a typed refusal for an unknown location", async () => {
    const seq = sandbox.ledger().at(-1)?.seq ?? 0;
    const out = await runScript();

    expect(out.contact.status).toBe(202);
    expect(out.contact.identifier).not.toBe("");
    const writes = sandbox.ledger(seq).filter((e) => e.method === "POST" && e.route === "/v4/contacts");
    expect(writes.map((e) => [e.status, e.locationUids, e.requestId])).toEqual([[202, [SYDNEY], out.contact.request_id]]);

    expect(out.unknown.code).toBe("NOT_FOUND");
    expect(out.unknown.details).toEqual([{ reason: "ERR_LOC_UNKNOWN", location_uid: UNKNOWN, request_id: expect.any(String) }]);
    expect(out.unknown.details?.[0]?.request_id).not.toBe("");
    expect(sandbox.ledger(seq).filter((e) => e.locationUids.includes(UNKNOWN))).toEqual([]);
  });

  // Issue 11 items 5 and 7: long values and protocol faults get the typed refusal, within trailer limits.
  it("receives typed, bounded refusals for hostile input", async () => {
    const seq = sandbox.ledger().at(-1)?.seq ?? 0;
    const { stdout } = await run(PYTHON, [hostileScript, join(dir, "stubs"), target, SYDNEY], {
      env: { ...process.env, PODIUM_ROUTER_API_KEY: KEY },
      timeout: 60_000,
      maxBuffer: 1024 * 1024,
    });
    const out = JSON.parse(stdout) as Record<string, HostileOutcome>;
    const seen = Object.fromEntries(Object.entries(out).map(([name, o]) => [name, [o.code, o.details?.[0]?.reason]]));
    expect(seen).toEqual({
      long_location_uid: ["INVALID_ARGUMENT", "ERR_LOC_BAD_REQUEST"],
      pii_method: ["INVALID_ARGUMENT", "ERR_LOC_BAD_REQUEST"],
      long_method: ["INVALID_ARGUMENT", "ERR_LOC_BAD_REQUEST"],
      long_request_id: ["INVALID_ARGUMENT", "ERR_LOC_BAD_REQUEST"],
      random_bytes: ["INVALID_ARGUMENT", "ERR_LOC_BAD_REQUEST"],
      deflate: ["UNIMPLEMENTED", "ERR_LOC_BAD_REQUEST"],
      gzip_bomb: ["RESOURCE_EXHAUSTED", "ERR_LOC_BAD_REQUEST"],
    });
    for (const [name, o] of Object.entries(out)) {
      expect(o.message_len, name).toBeLessThanOrEqual(512);
      expect(o.trailer_bytes, name).toBeLessThan(4096);
      expect(o.details?.[0]?.request_id, name).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
      expect(o.details?.[0]?.location_uid.length ?? 0, name).toBeLessThanOrEqual(36);
    }
    expect(out["long_location_uid"]?.details?.[0]?.request_id).toBe("py-long-uid");
    // Issue 11 item 3: refused at the edge, audited with the same request id and only validated values.
    await vi.waitFor(() => expect(readAudit().find((l) => l.request_id === "py-long-uid")).toMatchObject({ location_uid: "{invalid}", error_code: "ERR_LOC_BAD_REQUEST" }));
    for (const [name, requestId] of [["pii_method", "py-pii-method"], ["long_method", "py-long-method"]] as const) {
      expect(out[name]?.details?.[0], name).toMatchObject({ request_id: requestId, location_uid: SYDNEY });
      await vi.waitFor(() =>
        expect(readAudit().find((l) => l.request_id === requestId), name).toMatchObject({ location_uid: SYDNEY, method: "{invalid}", endpoint: "{invalid}", error_code: "ERR_LOC_BAD_REQUEST", caller: "python-app" }),
      );
    }
    const auditText = readFileSync(join(dir, "audit.jsonl"), "utf8");
    expect(auditText).not.toContain("Zelda");
    expect(auditText).not.toContain("61499988877");
    for (const line of auditText.split("\n").filter((l) => l !== "")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MAX_AUDIT_LINE_BYTES);
    // The protocol faults never reached the service: no audit line names their request ids.
    expect(readAudit().filter((l) => l.request_id === "py-deflate" || l.request_id === "py-bomb")).toEqual([]);
    expect(sandbox.ledger(seq).filter((e) => e.route !== "/oauth/token" && !e.path.startsWith("/v4/locations"))).toEqual([]);
  });
});
