import { describe, expect, it } from "vitest";
import { main } from "../cli.js";
import { createMemoryIo } from "../testing/memory-io.js";

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe("sandboxCommand()", () => {
  it("serves the Podium sandbox until shutdown, then exits 0", async () => {
    const mem = createMemoryIo();
    const exit = main(["sandbox", "--port", "0"], mem.io);
    await until(() => mem.stdout().includes("Press Ctrl-C"));
    const url = /listening on (http:\/\/\S+)/.exec(mem.stdout())![1]!;
    const fixture = (await (await fetch(`${url}/_sandbox/fixture`)).json()) as { orgs: { slug: string }[] };
    expect(fixture.orgs.map((o) => o.slug)).toContain("coastal-smiles");
    mem.shutdown();
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/_sandbox/fixture`)).rejects.toThrow();
  });
});
