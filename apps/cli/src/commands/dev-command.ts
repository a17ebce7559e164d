import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { validateSettings } from "@podium-router/core";
import type { OnboardingInput, OnboardingResult } from "@podium-router/core";
import { createSandbox, defaultFixtureIds } from "@podium-router/podium-sandbox";
import type { Sandbox } from "@podium-router/podium-sandbox";
import { println } from "../cli-io.js";
import type { CliIo } from "../cli-io.js";
import { exitCodes } from "../exit-codes.js";
import type { DevFlags } from "../parse-args.js";
import { startRouter } from "../runtime.js";
import type { RunningRouter } from "../runtime.js";
import { waitForShutdown } from "../wait-for-shutdown.js";
import { devStatePaths } from "../dev-state.js";
import { devExamples } from "./dev-examples.js";

const cs = defaultFixtureIds.coastalSmiles;

/**
 * The demo locations and the sandbox grant each one's credential comes from: Sydney through the front
 * desk's grant (Sydney only), Burleigh Heads through the owner's — two credentials, one per location.
 * Their names are not kept here: the banner shows the names Podium (the sandbox) reported at onboarding.
 */
export const demoLocations = [
  { locationUid: cs.locations.sydney, grantId: cs.sydneyGrant.grantId },
  { locationUid: cs.locations.burleighHeads, grantId: cs.ownerGrant.grantId },
] as const;

/**
 * `podium-router dev`: the sandbox, plus a router in front of it with the demo locations onboarded
 * (idempotently: a re-run reports them skipped_existing), then prints how to call it. Runs until
 * SIGINT/SIGTERM and closes the router (flushing the audit log) before the sandbox.
 */
export async function devCommand(io: CliIo, flags: DevFlags): Promise<number> {
  const stateDir = resolve(io.cwd, flags.stateDir);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const apiKey = await devApiKey(stateDir, flags.apiKey);
  const sandbox = await createSandbox({ port: flags.sandboxPort });
  let running: RunningRouter | undefined;
  try {
    const { apps, inputs, ownerTokenFile } = await writeDemoCredentials(stateDir, sandbox);
    const settings = validateSettings({
      upstream: { base_url: sandbox.url },
      audit: { path: devStatePaths(stateDir).auditPath },
      credentials: { backend: "file", path: devStatePaths(stateDir).credentialsPath },
      // Consent onboarding (`onboard --authorize`) writes refresh tokens here: inside the state dir too.
      onboarding: { refresh_token_dir: join(stateDir, "refresh-tokens") },
      oauth_apps: apps,
      // Podium's webhooks from the sandbox, per location: `events tail` shows them.
      events: { enabled: true, path: join(stateDir, "events.sqlite"), subscriptions_path: join(stateDir, "webhook-subscriptions.json") },
      server: {
        host: "127.0.0.1",
        port: flags.port,
        // No `organizations` grant: organization-level operations stay refused (deny by default), as for any key
        // whose settings do not grant them; the demo's examples are all location-level calls.
        api_keys: [{ name: "dev", key_sha256: createHash("sha256").update(apiKey).digest("hex"), locations: ["*"], rpcs: ["*"], oauth_apps: ["*"] }],
      },
    });
    // Warnings only: the examples below are the dev output; JSON info lines would bury them.
    running = await startRouter({ settings, logTo: io.stderr, logLevel: "warn", env: io.env });
    const results: OnboardingResult[] = [];
    for await (const r of running.router.onboardLocations(inputs, { caller: "dev" })) results.push(r);
    const failed = results.filter((r) => r.outcome === "failed");
    if (failed.length > 0) {
      throw new Error(`demo onboarding failed: ${failed.map((r) => `${r.locationUid} ${r.errorCode ?? ""} ${r.message}`).join("; ")}`);
    }
    // One webhook per demo location, pointing at this router: the sandbox posts their events to it.
    for await (const r of running.events?.syncWebhooks({ locationUids: demoLocations.map((l) => l.locationUid), publicUrl: running.url }, { caller: "dev" }) ?? []) {
      if (r.outcome === "failed") throw new Error(`demo webhook sync failed for ${r.locationUid}: ${r.errorCode ?? ""} ${r.message}`);
    }
    const registered = new Map((await running.router.listLocations()).map((l) => [l.locationUid, l]));
    io.stdout.write(
      devExamples({
        routerUrl: running.url,
        sandboxUrl: sandbox.url,
        apiKey,
        apiKeyOrigin: flags.apiKey !== undefined ? "from --api-key" : `kept in ${join(stateDir, "dev-api-key")}`,
        stateDir,
        onboardExample: { locationUid: cs.locations.byronBay, orgSlug: cs.slug, oauthApp: cs.slug, refreshTokenFile: ownerTokenFile },
        locations: demoLocations.map((l) => ({
          name: registered.get(l.locationUid)?.name ?? "",
          locationUid: l.locationUid,
          outcome: results.find((r) => r.locationUid === l.locationUid)?.outcome ?? "",
        })),
      }),
    );
    await waitForShutdown(io.shutdown);
    println(io.stdout, "Stopping…");
  } finally {
    await running?.close();
    await sandbox.close();
  }
  return exitCodes.ok;
}

/** The key given, else the one kept in the state dir, else a new one written there (0600). */
async function devApiKey(stateDir: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const file = join(stateDir, "dev-api-key");
  try {
    const kept = (await readFile(file, "utf8")).trim();
    if (kept !== "") return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = `prk_dev_${randomBytes(24).toString("base64url")}`;
  await writeSecretFile(file, key);
  return key;
}

/** What dev mode configures and onboards: the sandbox's apps, the demo locations, and a refresh-token file to try. */
interface DemoCredentials {
  /** The `oauth_apps` settings: one app per sandbox organization, named after it, its secrets in files. */
  apps: Record<string, { client_id_ref: string; client_secret_ref: string }>;
  /** The demo locations, each naming its organization's app and its grant's refresh-token file. */
  inputs: OnboardingInput[];
  /** The coastal-smiles owner's refresh token, for the printed `onboard` example. */
  ownerTokenFile: string;
}

/**
 * Writes each sandbox app's client id and secret and each demo grant's refresh token into the state dir, and
 * returns the `oauth_apps` settings that reference them and the onboarding inputs. Rewritten on every start:
 * the sandbox starts afresh, so its fixture's tokens are the valid ones.
 */
async function writeDemoCredentials(stateDir: string, sandbox: Sandbox): Promise<DemoCredentials> {
  const secrets = join(stateDir, "secrets");
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  const grants = sandbox.fixture.grants;
  const apps: DemoCredentials["apps"] = {};
  for (const grant of grants) {
    if (apps[grant.orgSlug] !== undefined) continue;
    const clientIdFile = join(secrets, `${grant.clientId}.client-id`);
    const clientSecretFile = join(secrets, `${grant.clientId}.client-secret`);
    await writeSecretFile(clientIdFile, grant.clientId);
    await writeSecretFile(clientSecretFile, grant.clientSecret);
    apps[grant.orgSlug] = { client_id_ref: `file:${clientIdFile}`, client_secret_ref: `file:${clientSecretFile}` };
  }
  const tokenFileOf = async (grantId: string): Promise<{ file: string; orgSlug: string }> => {
    const grant = grants.find((g) => g.grantId === grantId);
    if (grant === undefined) throw new Error(`the sandbox fixture has no grant ${grantId}`);
    const file = join(secrets, `${grant.grantId}.refresh-token`);
    await writeSecretFile(file, grant.refreshToken);
    return { file, orgSlug: grant.orgSlug };
  };
  const inputs: OnboardingInput[] = [];
  for (const loc of demoLocations) {
    const { file, orgSlug } = await tokenFileOf(loc.grantId);
    inputs.push({ locationUid: loc.locationUid, orgSlug, oauthApp: orgSlug, refreshTokenFile: file });
  }
  return { apps, inputs, ownerTokenFile: (await tokenFileOf(cs.ownerGrant.grantId)).file };
}

async function writeSecretFile(file: string, value: string): Promise<void> {
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  // writeFile's mode applies only when it creates the file.
  await chmod(file, 0o600);
}
