// Child process of refresh-rotation-crash.spec.ts: a router (BUILT core, packages/core/dist) calling one
// location in a loop while the sandbox in the parent rotates its refresh token on every refresh. The parent
// SIGKILLs it at random times, or this script kills itself at a chosen point around the store's
// writeRefreshToken (a test hook in this script only; production code has none).
//
// Usage: node refresh-child.mjs <config.json>
//   config: { baseUrl, storePath, auditPath, locationUid, maxMs,
//             killAt: "none" | "before-write" | "after-write" | "during-write",
//             killOnWrite: n (the n-th rotated token written, 1-based), killDelayMs (during-write) }
// stdout, one JSON object per line: {"ready":true}, then {"status":n} or {"error":"ERR_LOC_*"} per call.
// Nothing secret is printed.
import { readFileSync } from "node:fs";
import { createFileCredentialStore, createLocationRouter, validateSettings } from "../../dist/index.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const settings = validateSettings({
  upstream: { base_url: config.baseUrl },
  audit: { path: config.auditPath, fsync: "never" },
  credentials: { path: config.storePath },
  // The loop measures refreshes, not budgets: without this it would wait for the per-location budget.
  budgets: { location: { rate_per_minute: 600000, burst: 10000 }, upstream: { rate_per_minute: 600000, burst: 10000 } },
});
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const die = () => process.kill(process.pid, "SIGKILL");

const store = createFileCredentialStore({ path: config.storePath });
let writes = 0;
/** The real store, with the kill hook around writeRefreshToken (delegation: its methods use #private fields). */
const hooked = {
  list: () => store.list(),
  get: (uid) => store.get(uid),
  insert: (record) => store.insert(record),
  update: (uid, patch) => store.update(uid, patch),
  remove: (uid) => store.remove(uid),
  readRefreshToken: (record) => store.readRefreshToken(record),
  async writeRefreshToken(record, token) {
    const armed = ++writes === config.killOnWrite;
    // Podium has rotated: the old refresh token is retired, the new one is only in this process's memory.
    if (armed && config.killAt === "before-write") die();
    // Somewhere inside the atomic write: before the temporary file, before or after the rename.
    if (armed && config.killAt === "during-write") setTimeout(die, config.killDelayMs ?? 0);
    await store.writeRefreshToken(record, token);
    // Stored durably, and the new access token not used yet.
    if (armed && config.killAt === "after-write") die();
  },
  close: () => store.close(),
};

const router = await createLocationRouter({ settings, env: {}, store: hooked });
say({ ready: true });
const until = Date.now() + (config.maxMs ?? 3000);
while (Date.now() < until) {
  try {
    const res = await router.call({ locationUid: config.locationUid, method: "GET", path: `/v4/locations/${config.locationUid}` });
    say({ status: res.status });
  } catch (err) {
    // A router keeps serving after a failed call; the parent decides what the failures mean.
    say({ error: err?.code ?? "unknown" });
  }
}
await router.close();
