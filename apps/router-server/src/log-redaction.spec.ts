import { describe, it, expect } from "vitest";
import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { LocationRouterService } from "@podium-router/proto";
import { ADMIN_KEY, BURLEIGH, startTestServer, SYDNEY, SYDNEY_KEY } from "../test/test-server.js";
import { logRedactCensor, logRedactPaths } from "./log-redaction.js";
import { createServerLogger } from "./server-logger.js";

function sink(): { stream: Writable; lines(): Record<string, unknown>[]; text(): string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString("utf8");
      cb();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("logRedactPaths", () => {
  it("covers bearer headers, OAuth tokens, client secrets, API keys and bodies", () => {
    for (const path of ["authorization", "*.authorization", "req.headers.authorization", "access_token", "*.refresh_token", "client_secret", "*.apiKey", "body", "*.body"]) {
      expect(logRedactPaths).toContain(path);
    }
  });
});

describe("createServerLogger()", () => {
  it("writes JSON lines with every secret replaced, at the top level and one level down", () => {
    const out = sink();
    const logger = createServerLogger({ destination: out.stream });
    const secrets = {
      authorization: "Bearer top-secret-key",
      access_token: "at-123",
      refresh_token: "rt-456",
      client_secret: "cs-789",
      apiKey: "ak-000",
      body: '{"phone":"+61400000000"}',
    };
    logger.info({ ...secrets, location_uid: SYDNEY }, "top level");
    logger.info({ req: { headers: { authorization: "Bearer nested-key" } }, upstream: { ...secrets } }, "nested");
    logger.child({ request_id: "r-1" }).warn({ err: { message: "refresh failed", refresh_token: "rt-err" } }, "child");
    for (const value of ["top-secret-key", "at-123", "rt-456", "cs-789", "ak-000", "+61400000000", "nested-key", "rt-err"]) {
      expect(out.text()).not.toContain(value);
    }
    const [first, second] = out.lines();
    expect(first).toMatchObject({ level: "info", service: "podium-router", location_uid: SYDNEY, access_token: logRedactCensor, msg: "top level" });
    expect(second).toMatchObject({ req: { headers: { authorization: logRedactCensor } }, upstream: { client_secret: logRedactCensor } });
  });
});

describe("createRouterServer() logs", () => {
  it("never contain an API key or bearer value, whatever the caller sends", async () => {
    const t = await startTestServer({ logLevel: "debug" });
    const wrongKey = "pr_wrong_key_that_must_not_be_logged";
    try {
      for (const transport of [createGrpcTransport({ baseUrl: t.url }), createConnectTransport({ baseUrl: t.url, httpVersion: "1.1" })]) {
        const client = createClient(LocationRouterService, transport);
        const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
        await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, as(ADMIN_KEY));
        await client.call({ locationUid: BURLEIGH, method: "GET", path: "/v4/echo" }, as(SYDNEY_KEY)).catch(() => {});
        await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" }, as(wrongKey)).catch(() => {});
        await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/fail/ERR_LOC_AUTH" }, as(ADMIN_KEY)).catch(() => {});
        await client.call({ locationUid: SYDNEY, method: "GET", path: "/v4/throw" }, as(ADMIN_KEY)).catch(() => {});
      }
      await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${wrongKey}` } });
    } finally {
      await t.close();
    }
    const lines = t.logLines();
    // The scenarios above did log: refusals, failures and the per-request debug lines.
    expect(lines.some((l) => l["msg"] === "rpc failed" && l["code"] === "PermissionDenied" && l["location_uid"] === BURLEIGH)).toBe(true);
    expect(lines.some((l) => l["msg"] === "rpc failed" && l["level"] === "error" && typeof l["request_id"] === "string")).toBe(true);
    for (const secret of [ADMIN_KEY, SYDNEY_KEY, wrongKey]) expect(t.logText()).not.toContain(secret);
    // The one "Bearer" allowed is the hint "Bearer <key>" in the UNAUTHENTICATED message.
    expect(t.logText()).not.toMatch(/Bearer [A-Za-z0-9_]/i);
  });
});
