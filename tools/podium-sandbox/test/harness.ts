/**
 * Helpers shared by the sandbox's specs: real HTTP against a real sandbox, nothing mocked.
 */
import { createSandbox, type Sandbox, type SandboxOptions } from "../src/index.js";

/** A sandbox without the rate limit unless a test asks for one, so unrelated tests never see 429. */
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return createSandbox({ rateLimit: false, ...options });
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
