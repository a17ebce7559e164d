/** Child process: the Podium sandbox, rate limit off, for `npm run bench`. */
import { createSandbox, type Faults } from "@podium-router/podium-sandbox";
import { serveBenchParent } from "./bench-child.js";

// A short ledger: the bench reads only the last few seconds (the storm scenario counts one phase's sends),
// and a 200k-entry ring would only cost memory.
const sandbox = await createSandbox({ rateLimit: false, ledgerCapacity: 20_000 });

serveBenchParent({
  url: () => sandbox.url,
  token: (grantId: string) => sandbox.issueAccessToken(grantId).accessToken,
  /** The last Podium request seen, to show direct and routed calls sent the same thing. */
  lastRequest: () => {
    const e = sandbox.ledger().filter((x) => x.route !== "/oauth/token").at(-1);
    return e === undefined ? null : { method: e.method, path: e.path, route: e.route, status: e.status, podiumVersion: e.podiumVersion ?? "", hasRequestId: e.requestId !== undefined };
  },
  /** The ledger's last sequence number, to count sends from there. */
  lastSeq: () => sandbox.ledger().at(-1)?.seq ?? 0,
  /** Podium requests (not token requests) made with `grantId`'s tokens after `sinceSeq`, and how many were answered 429. */
  sends: ({ grantId, sinceSeq }: { grantId: string; sinceSeq: number }) => {
    const sent = sandbox.ledger(sinceSeq).filter((e) => e.grantId === grantId && e.route !== "/oauth/token");
    return { sends: sent.length, status429: sent.filter((e) => e.status === 429).length };
  },
  /** Merges a fault patch (the storm scenario turns a 429 storm on and off). */
  faults: (patch: Faults) => void sandbox.setFaults(patch),
  /** Podium requests answered so far (token requests included): upstream requests per call, read around each slice. */
  requests: () => sandbox.stats().requests,
  cpu: () => process.cpuUsage(),
  close: () => sandbox.close(),
});
