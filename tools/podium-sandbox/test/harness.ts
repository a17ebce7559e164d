/**
 * Helpers shared by the sandbox's specs: real HTTP against a real sandbox, nothing mocked.
 */
import { afterAll, beforeAll } from "vitest";
import { createSandbox, defaultFixture, defaultFixtureIds, type Sandbox, type SandboxFixture, type SandboxOptions } from "../src/index.js";
import type { OperationCase } from "./operation-table.js";

/** A sandbox without the rate limit unless a test asks for one, so unrelated tests never see 429. */
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({ rateLimit: false, ...options });
}

/** The default fixture without its seeded resources, for tests that need empty stores. */
export function bareFixture(): SandboxFixture {
  const { resources: _seeded, ...bare } = defaultFixture;
  return bare;
}

/** A parsed HTTP answer. */
export interface Answer {
  status: number;
  // Tests read arbitrary fields of JSON bodies.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

/** Send one request; JSON bodies are serialised, strings sent as they are. */
export async function call(
  sandbox: Sandbox,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers["authorization"] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${sandbox.url}${path}`, { method, headers, body, redirect: "manual" });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Refresh a fixture grant's token over HTTP, as a client would. */
export async function refreshGrant(sandbox: Sandbox, grantId: string): Promise<Answer> {
  const grant = sandbox.fixture.grants.find((g) => g.grantId === grantId);
  if (grant === undefined) throw new Error(`no grant ${grantId}`);
  return call(sandbox, "POST", "/oauth/token", {
    body: { grant_type: "refresh_token", refresh_token: grant.refreshToken, client_id: grant.clientId, client_secret: grant.clientSecret },
  });
}

/** An access token for a grant, obtained through POST /oauth/token. */
export async function tokenFor(sandbox: Sandbox, grantId: string): Promise<string> {
  const answer = await refreshGrant(sandbox, grantId);
  if (answer.status !== 200) throw new Error(`refresh of ${grantId} failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

/** Send an operation-table request (JSON or multipart), optionally to another path. */
export async function callCase(sandbox: Sandbox, token: string, c: OperationCase, path: string = c.path): Promise<Answer> {
  const method = c.op.slice(0, c.op.indexOf(" "));
  if (c.form === undefined) return call(sandbox, method, path, { token, ...(c.body === undefined ? {} : { body: c.body }) });
  const res = await fetch(`${sandbox.url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, body: c.form() });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers };
}

/** A sandbox for a spec file and tokens of the three default grants, filled in before its tests run. */
export interface SharedSandbox {
  sandbox: Sandbox;
  /** coastal-smiles owner: all four locations. */
  owner: string;
  /** coastal-smiles Sydney front desk: Sydney only. */
  sydneyOnly: string;
  /** harbour-auto owner: Fremantle and Geelong. */
  harbour: string;
  /** The newest ledger entry. */
  last(): ReturnType<Sandbox["ledger"]>[number] | undefined;
}

/** Start one sandbox (default fixture, seeded) for the calling spec file and close it after. */
export function sharedSandbox(options: SandboxOptions = {}): SharedSandbox {
  const shared = { last: () => shared.sandbox.ledger().at(-1) } as SharedSandbox;
  beforeAll(async () => {
    shared.sandbox = await startSandbox(options);
    shared.owner = shared.sandbox.issueAccessToken(defaultFixtureIds.coastalSmiles.ownerGrant.grantId).accessToken;
    shared.sydneyOnly = shared.sandbox.issueAccessToken(defaultFixtureIds.coastalSmiles.sydneyGrant.grantId).accessToken;
    shared.harbour = shared.sandbox.issueAccessToken(defaultFixtureIds.harbourAuto.ownerGrant.grantId).accessToken;
  });
  afterAll(() => shared.sandbox?.close());
  return shared;
}
