/** Child process: the Podium sandbox, rate limit off, for `npm run bench`. */
import { createSandbox } from "@podium-router/podium-sandbox";
import { serveBenchParent } from "./bench-child.js";

// A short ledger: the bench never reads old entries, and a 200k-entry ring would only cost memory.
const sandbox = await createSandbox({ rateLimit: false, ledgerCapacity: 1_000 });

serveBenchParent({
  url: () => sandbox.url,
  token: (grantId: string) => sandbox.issueAccessToken(grantId).accessToken,
  /** The last Podium request seen, to show direct and routed calls sent the same thing. */
  lastRequest: () => {
    const e = sandbox.ledger().filter((x) => x.route !== "/oauth/token").at(-1);
    return e === undefined ? null : { method: e.method, path: e.path, route: e.route, status: e.status, podiumVersion: e.podiumVersion ?? "", hasRequestId: e.requestId !== undefined };
  },
  cpu: () => process.cpuUsage(),
  close: () => sandbox.close(),
});
