import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { devExamples, shellQuote } from "./dev-examples.js";

const input = {
  routerUrl: "http://127.0.0.1:8080",
  sandboxUrl: "http://127.0.0.1:8787",
  apiKey: "prk_dev_abc",
  apiKeyOrigin: "kept in /s/dev-api-key",
  stateDir: "/s",
  locations: [
    { name: "Sydney", locationUid: "uid-syd", outcome: "onboarded" },
    { name: "Burleigh Heads", locationUid: "uid-bur", outcome: "skipped_existing" },
  ],
  onboardExample: { locationUid: "uid-byron", orgSlug: "coastal-smiles", oauthApp: "coastal-smiles", refreshTokenFile: "/s/secrets/grant's.refresh-token" },
};

describe("devExamples()", () => {
  it("prints a one-line Connect JSON curl whose body is the Call request", () => {
    const curl = devExamples(input).split("\n").find((l) => l.trimStart().startsWith("curl "))!;
    // Let a real shell split the line, then read the -d argument back.
    const argv = JSON.parse(execFileSync("sh", ["-c", `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${curl.trim().slice("curl ".length)}`], { encoding: "utf8" })) as string[];
    expect(argv).toContain("authorization: Bearer prk_dev_abc");
    expect(argv.at(-1)).toBe("http://127.0.0.1:8080/podium.router.v1.LocationRouterService/Call");
    const body = JSON.parse(argv[argv.indexOf("-d") + 1]!) as { locationUid: string; method: string; path: string; body: string };
    expect(body).toMatchObject({ locationUid: "uid-syd", method: "POST", path: "/v4/contacts" });
    expect(JSON.parse(body.body)).toMatchObject({ name: "Ada Lovelace", locations: ["uid-syd"] });
  });

  it("prints buf curl and CLI examples, the key and both locations", () => {
    const text = devExamples(input);
    expect(text).toContain("npx buf curl --protocol grpc --http2-prior-knowledge");
    expect(text).toContain("export PODIUM_ROUTER_URL=http://127.0.0.1:8080 PODIUM_ROUTER_API_KEY=prk_dev_abc");
    expect(text).toContain("npx podium-router verify --location-uid uid-syd");
    expect(text).toMatch(/Burleigh Heads\s+uid-bur\s+skipped_existing/);
    expect(text).toContain(`npx podium-router onboard --location-uid uid-byron --org-slug coastal-smiles --oauth-app coastal-smiles --refresh-token-file '/s/secrets/grant'\\''s.refresh-token'`);
  });
});

describe("shellQuote()", () => {
  it("survives single quotes", () => {
    const value = `it's "quoted"`;
    expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(value)}`], { encoding: "utf8" })).toBe(value);
  });
});
