import { readFile } from "node:fs/promises";
import type { SandboxFixture } from "./fixture.js";
import { RESOURCE_SEED_KINDS } from "./resource-seed.js";

/** Thrown when a fixture is not the shape `SandboxFixture` describes; the message names the path and the rule. */
export class InvalidFixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidFixtureError";
  }
}

function fail(path: string, rule: string): never {
  throw new InvalidFixtureError(`fixture ${path} ${rule}`);
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, "must be an array");
  return value;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "must be an object");
  return value as Record<string, unknown>;
}

function string(obj: Record<string, unknown>, key: string, path: string): void {
  if (typeof obj[key] !== "string" || obj[key] === "") fail(`${path}.${key}`, "must be a non-empty string");
}

function strings(obj: Record<string, unknown>, key: string, path: string): void {
  const list = array(obj[key], `${path}.${key}`);
  list.forEach((v, i) => {
    if (typeof v !== "string") fail(`${path}.${key}[${i}]`, "must be a string");
  });
}

/**
 * Check the structure of a parsed fixture (types and required fields) and return it typed. References
 * between its parts (a grant's app, user, org and locations; a resource's locations) are checked when a
 * sandbox loads it. Seeded `resources` are checked for their kinds and uids here, the rest when loaded.
 */
export function validateFixture(raw: unknown): SandboxFixture {
  const root = object(raw, "(root)");
  array(root["orgs"], "orgs").forEach((o, i) => {
    const org = object(o, `orgs[${i}]`);
    for (const k of ["slug", "organizationUid", "businessName"]) string(org, k, `orgs[${i}]`);
    array(org["locations"], `orgs[${i}].locations`).forEach((l, j) => {
      const loc = object(l, `orgs[${i}].locations[${j}]`);
      for (const k of ["uid", "name"]) string(loc, k, `orgs[${i}].locations[${j}]`);
    });
  });
  array(root["users"] ?? [], "users").forEach((u, i) => {
    const user = object(u, `users[${i}]`);
    for (const k of ["uid", "email", "orgSlug"]) string(user, k, `users[${i}]`);
  });
  array(root["apps"], "apps").forEach((a, i) => {
    const app = object(a, `apps[${i}]`);
    for (const k of ["clientId", "clientSecret"]) string(app, k, `apps[${i}]`);
  });
  array(root["grants"], "grants").forEach((g, i) => {
    const grant = object(g, `grants[${i}]`);
    for (const k of ["grantId", "clientId", "userUid", "orgSlug", "refreshToken"]) string(grant, k, `grants[${i}]`);
    strings(grant, "locations", `grants[${i}]`);
    strings(grant, "scopes", `grants[${i}]`);
  });
  if (root["resources"] !== undefined) {
    const resources = object(root["resources"], "resources");
    for (const [kind, list] of Object.entries(resources)) {
      if (!(RESOURCE_SEED_KINDS as readonly string[]).includes(kind)) fail(`resources.${kind}`, `is not a resource kind (${RESOURCE_SEED_KINDS.join(", ")})`);
      array(list, `resources.${kind}`).forEach((item, i) => string(object(item, `resources.${kind}[${i}]`), "uid", `resources.${kind}[${i}]`));
    }
  }
  return { users: [], ...root } as unknown as SandboxFixture;
}

/** Read and validate a JSON fixture file (`--fixture FILE`). */
export async function loadFixtureFile(path: string): Promise<SandboxFixture> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InvalidFixtureError(`cannot read fixture file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidFixtureError(`fixture file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return validateFixture(raw);
}
