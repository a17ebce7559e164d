// One router replica for the scale-out tests (create-state-backend.spec.ts, through replica-harness.ts):
// routes calls with the BUILT core (packages/core/dist) and its own credential file, audit log and router,
// sharing state with the other replicas through Redis as its settings say.
//
// Usage (forked with an IPC channel): node replica-child.mjs <config.json>
//   config: { settings: a settings document (snake_case) }
// Messages: child → {ready:true} once the router is built; parent → {run: {startAt, durationMs, loops}};
// child → {report: {calls, outcomes}} when every loop has ended; parent → {exit:true}.
// A loop calls one location again and again: `concurrency` callers back to back, or one call every
// `intervalMs`. Each call is reported with its start, end, request id and outcome; nothing secret.
import { readFileSync } from "node:fs";
import { createLocationRouter, validateSettings } from "../../dist/index.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const settings = validateSettings(config.settings);
/** Which budget decided each call, with when (budgetBackend). */
const outcomes = [];
const observer = { budgetBackend: (outcome) => outcomes.push({ t: Date.now(), outcome }) };
const router = await createLocationRouter({ settings, env: {}, observer });
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
let seq = 0;

async function call(loopIndex, loop, calls) {
  const requestId = `r-${process.pid}-${loopIndex}-${seq++}`;
  const t = Date.now();
  const entry = { loop: loopIndex, t, end: 0, requestId, method: loop.method, code: "OK", status: 0 };
  try {
    const res = await router.call({ locationUid: loop.locationUid, method: loop.method, path: loop.path, body: loop.body, requestId });
    entry.status = res.status;
  } catch (err) {
    entry.code = typeof err?.code === "string" ? err.code : "THROWN";
  }
  entry.end = Date.now();
  calls.push(entry);
}

async function runLoop(loopIndex, loop, endAt, calls) {
  if (loop.intervalMs) {
    for (let next = Date.now(); next < endAt; next += loop.intervalMs) {
      await sleep(next - Date.now());
      await call(loopIndex, loop, calls);
    }
    return;
  }
  const worker = async () => {
    while (Date.now() < endAt) await call(loopIndex, loop, calls);
  };
  await Promise.all(Array.from({ length: loop.concurrency ?? 1 }, worker));
}

process.on("message", async (msg) => {
  if (msg.exit) {
    await router.close();
    process.exit(0);
  }
  if (!msg.run) return;
  const { startAt, durationMs, loops } = msg.run;
  await sleep(startAt - Date.now());
  const calls = [];
  await Promise.all(loops.map((loop, i) => runLoop(i, loop, startAt + durationMs, calls)));
  await router.audit.flush();
  process.send({ report: { calls, outcomes } });
});
process.send({ ready: true });
