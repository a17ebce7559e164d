// One router replica for the scale-out tests (create-state-backend.spec.ts, through replica-harness.ts):
// routes calls with the BUILT core (packages/core/dist) and its own credential file, audit log and router,
// sharing state with the other replicas through Redis as its settings say.
//
// Usage (forked with an IPC channel): node replica-child.mjs <config.json>
//   config: { settings: a settings document (snake_case) }
// Messages: child → {ready:true} once the router is built; parent → {run: {startAt, durationMs, loops, warmUp}};
// child → {report: {calls, outcomes}} when every loop has ended; parent → {exit:true}.
// A loop calls one location again and again: `concurrency` callers back to back, or one call every
// `intervalMs`. Each call is reported with its start, end, admission (0 if refused), request id and
// outcome; nothing secret.
import { readFileSync } from "node:fs";
import { createLocationRouter, validateSettings } from "../../dist/index.js";
import { createStateBackend } from "../../dist/router/create-state-backend.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const settings = validateSettings(config.settings);
/** Which budget decided each call, with when (budgetBackend). */
const outcomes = [];
const observer = { budgetBackend: (outcome) => outcomes.push({ t: Date.now(), outcome }) };
// The router's own budgets, built as it would build them, wrapped to note when each call was admitted:
// the moment the shared budget said yes, which is what the limit is about.
const state = createStateBackend(settings, { observer });
const admittedAt = new Map();
const inner = state.budgets;
const budgets = {
  acquire: async (uid, group, opts) => {
    await inner.acquire(uid, group, opts);
    if (opts?.requestId) admittedAt.set(opts.requestId, Date.now());
  },
  pause: (...a) => inner.pause(...a),
  snapshot: (...a) => inner.snapshot(...a),
  remove: (...a) => inner.remove(...a),
  close: () => inner.close(),
};
const router = await createLocationRouter({ settings, env: {}, observer, budgets, verifier: state.verifier });
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
  entry.admittedAt = admittedAt.get(requestId) ?? 0;
  admittedAt.delete(requestId);
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
    await state.close();
    process.exit(0);
  }
  if (!msg.run) return;
  const { startAt, durationMs, loops, warmUp } = msg.run;
  const calls = [];
  // One call per loop first, so the window measures budgets, not the first OAuth refresh and listing.
  if (warmUp) for (const [i, loop] of loops.entries()) await call(i, loop, calls);
  await sleep(startAt - Date.now());
  await Promise.all(loops.map((loop, i) => runLoop(i, loop, startAt + durationMs, calls)));
  await router.audit.flush();
  process.send({ report: { calls, outcomes } });
});
process.send({ ready: true });
