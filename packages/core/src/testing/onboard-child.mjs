// Child process of onboarding-crash.spec.ts: onboards a batch of locations with the BUILT core
// (packages/core/dist) against a sandbox that lives in the parent, so the parent can SIGKILL this
// process at any point and then inspect what it left on disk.
//
// Usage: node onboard-child.mjs <config.json>
//   config: { baseUrl, storePath, auditPath, concurrency, inputs: OnboardingInput[] }
// stdout, one JSON object per line: {"ready":true} once the router is built, then one
// {"result":{...}} per location as it finishes, then {"done":true}. Nothing secret is printed.
import { readFileSync } from "node:fs";
import { createLocationRouter, validateSettings } from "../../dist/index.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const settings = validateSettings({
  upstream: { base_url: config.baseUrl },
  audit: { path: config.auditPath, fsync: "never" },
  credentials: { path: config.storePath },
});
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

const router = await createLocationRouter({ settings, env: {} });
say({ ready: true });
for await (const result of router.onboardLocations(config.inputs, { concurrency: config.concurrency })) say({ result });
await router.close();
say({ done: true });
