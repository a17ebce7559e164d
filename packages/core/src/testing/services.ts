/**
 * Test helper: is a local service (PostgreSQL, Redis on 127.0.0.1) there for the tests that need it?
 * Absent, those tests are skipped with a note saying which service is missing, except in CI
 * (`PODIUM_ROUTER_REQUIRE_SERVICES=1`, set by `.ci/run`), where an absent service fails the run instead.
 *
 *   const postgres = await requirePostgres();
 *   describe.skipIf(!postgres)(`createPgCredentialStore()${absentNote("PostgreSQL", postgres)}`, () => { ... });
 *
 * Test-only: excluded from the library build.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import pg from "pg";

/** The PostgreSQL the tests use: trust auth, database `test`, user postgres. */
export const TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";
/** The Redis the tests use. */
export const TEST_REDIS_URL = "redis://127.0.0.1:6379";
/** Set to "1" (by `.ci/run`) to fail instead of skipping when a service is absent. */
export const REQUIRE_SERVICES_ENV = "PODIUM_ROUTER_REQUIRE_SERVICES";

/** A local service answers well within this; longer means it is not running. */
const PROBE_TIMEOUT_MS = 2_000;
const probes = new Map<string, Promise<string | undefined>>();

/**
 * True if PostgreSQL at 127.0.0.1:5432 accepts a query on database `test` as user postgres. When it does not
 * and PODIUM_ROUTER_REQUIRE_SERVICES=1, throws (failing the test file) instead of returning false.
 */
export function requirePostgres(): Promise<boolean> {
  return requireService("PostgreSQL at 127.0.0.1:5432 (database test, user postgres)", probePostgres);
}

/** True if Redis at 127.0.0.1:6379 answers PING; throws instead of returning false under PODIUM_ROUTER_REQUIRE_SERVICES=1. */
export function requireRedis(): Promise<boolean> {
  return requireService("Redis at 127.0.0.1:6379", probeRedis);
}

/** The suffix for a describe title: empty when the service is there, else why its tests are skipped. */
export function absentNote(service: string, available: boolean): string {
  return available ? "" : ` [skipped: ${service} is not reachable on 127.0.0.1; set ${REQUIRE_SERVICES_ENV}=1 to fail instead]`;
}

async function requireService(service: string, probe: () => Promise<string | undefined>): Promise<boolean> {
  // Probed once per test process however many files ask.
  let pending = probes.get(service);
  if (pending === undefined) {
    pending = probe();
    probes.set(service, pending);
  }
  const why = await pending;
  if (why === undefined) return true;
  if (process.env[REQUIRE_SERVICES_ENV] === "1") {
    throw new Error(`${service} is required (${REQUIRE_SERVICES_ENV}=1) but not reachable: ${why}`);
  }
  console.warn(`${service} is not reachable (${why}); its tests are skipped`);
  return false;
}

/** A schema name no other test uses, for one test's tables (drop it with `dropTestSchema`). */
export function testSchemaName(): string {
  return `test_${randomBytes(6).toString("hex")}`;
}

/** Drops a test schema and everything in it. */
export async function dropTestSchema(schema: string): Promise<void> {
  if (!/^test_[0-9a-f]{12}$/.test(schema)) throw new Error(`refusing to drop ${schema}: not a test schema`);
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Undefined when a query works, else the reason. */
async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    return codeOf(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Undefined when PING is answered with PONG, else the reason. */
function probeRedis(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port: 6379 });
    let answer = "";
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done("no answer"), PROBE_TIMEOUT_MS);
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG") ? undefined : `unexpected answer to PING: ${answer.trim().slice(0, 60)}`);
    });
    socket.on("error", (err) => done(codeOf(err)));
  });
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : "unknown error";
}
