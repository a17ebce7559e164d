import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromBinary } from "@bufbuild/protobuf";
import { ErrorDetailSchema } from "@podium-router/proto";
import { ADMIN_KEY, startTestServer, SYDNEY, type TestServer } from "../test/test-server.js";

// `npx buf` resolves to this binary; calling it directly saves npx's start-up per spawn.
const buf = fileURLToPath(new URL("../../../node_modules/.bin/buf", import.meta.url));
const haveBuf = existsSync(buf);
if (!haveBuf) console.warn(`buf-curl.spec.ts skipped: ${buf} not found (run npm install)`);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function bufCurl(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(buf, ["curl", ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

describe.skipIf(!haveBuf)("buf curl against createRouterServer()", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists the methods by reflection, without --schema or a key", async () => {
    const [v1, v1alpha] = await Promise.all([
      bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", t.url]),
      bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1alpha", "--list-methods", t.url]),
    ]);
    for (const r of [v1, v1alpha]) {
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("podium.router.v1.LocationRouterService/Call");
      expect(r.stdout).toContain("podium.router.v1.LocationRouterService/QueryAudit");
      expect(r.stdout).toContain("grpc.health.v1.Health/Check");
    }
  });

  it("routes a call with each --protocol", async () => {
    const data = JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" });
    const url = `${t.url}/podium.router.v1.LocationRouterService/Call`;
    const auth = ["-H", `Authorization: Bearer ${ADMIN_KEY}`, "-d", data];
    const runs = {
      "grpc (h2c)": ["--protocol", "grpc", "--http2-prior-knowledge"],
      "connect (HTTP/1.1)": ["--protocol", "connect"],
      "connect (h2c)": ["--protocol", "connect", "--http2-prior-knowledge"],
      "grpcweb (HTTP/1.1)": ["--protocol", "grpcweb"],
      "grpcweb (h2c)": ["--protocol", "grpcweb", "--http2-prior-knowledge"],
    };
    const results = await Promise.all(Object.values(runs).map((flags) => bufCurl([...flags, ...auth, url])));
    Object.keys(runs).forEach((name, i) => {
      const r = results[i]!;
      expect(r.stderr, name).toBe("");
      expect(JSON.parse(r.stdout), name).toMatchObject({ status: 200, requestId: expect.any(String) });
    });
  });

  it("prints the refusal with its code and ErrorDetail", async () => {
    const r = await bufCurl([
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-H",
      `Authorization: Bearer ${ADMIN_KEY}`,
      "-d",
      JSON.stringify({ locationUid: "loc-nowhere", method: "GET", path: "/v4/echo" }),
      `${t.url}/podium.router.v1.LocationRouterService/Call`,
    ]);
    expect(r.code).not.toBe(0);
    const err = JSON.parse(r.stderr) as { code: string; details: { type: string; value: string }[] };
    expect(err.code).toBe("not_found");
    expect(err.details[0]?.type).toBe("podium.router.v1.ErrorDetail");
    const detail = fromBinary(ErrorDetailSchema, Buffer.from(err.details[0]?.value ?? "", "base64"));
    expect(detail).toMatchObject({ reason: "ERR_LOC_UNKNOWN", locationUid: "loc-nowhere" });
  });

  it("answers plain curl with Connect JSON over HTTP/1.1 and h2c", async () => {
    const url = `${t.url}/podium.router.v1.LocationRouterService/Call`;
    const data = JSON.stringify({ locationUid: SYDNEY, method: "GET", path: "/v4/echo" });
    const curl = (flag: string): Promise<Result> =>
      new Promise((resolve) => {
        const args = ["-sS", flag, "-H", "Content-Type: application/json", "-H", `Authorization: Bearer ${ADMIN_KEY}`, "-d", data, url];
        execFile("curl", args, { timeout: 10_000 }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : 1, stdout, stderr }));
      });
    for (const flag of ["--http1.1", "--http2-prior-knowledge"]) {
      const r = await curl(flag);
      expect(r.stderr, flag).toBe("");
      expect(JSON.parse(r.stdout), flag).toMatchObject({ status: 200 });
    }
  });
});
