import { describe, expect, it } from "vitest";
import { createLocalIdentifierLocks } from "./identifier-locks.js";

const wait = { locationUid: "loc-a", requestId: "r-1" };
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("createLocalIdentifierLocks()", () => {
  it("runs holders of one key one after the other, and holders of other keys alongside", async () => {
    const locks = createLocalIdentifierLocks();
    const order: string[] = [];
    const first = await locks.acquire(["+61400000001"], wait);
    const second = locks.acquire(["+61400000001"], wait).then((release) => {
      order.push("second");
      release();
    });
    const other = locks.acquire(["+61400000002"], wait).then((release) => {
      order.push("other");
      release();
    });
    await other;
    await tick();
    expect(order).toEqual(["other"]);
    order.push("first done");
    first();
    await second;
    expect(order).toEqual(["other", "first done", "second"]);
  });

  it("takes several keys in sorted order, so two writers naming them in opposite orders never wait on each other", async () => {
    const locks = createLocalIdentifierLocks();
    for (let i = 0; i < 50; i++) {
      const a = locks.acquire(["x", "y"], wait).then(async (release) => {
        await tick();
        release();
      });
      const b = locks.acquire(["y", "x"], wait).then(async (release) => {
        await tick();
        release();
      });
      await Promise.all([a, b]);
    }
  });

  it("gives up a wait the caller aborted, holding nothing", async () => {
    const locks = createLocalIdentifierLocks();
    const held = await locks.acquire(["k1"], wait);
    const controller = new AbortController();
    const waiting = locks.acquire(["k0", "k1"], { ...wait, signal: controller.signal });
    controller.abort();
    held();
    // The wait saw the key freed only after the abort: refused, and k0 (taken before k1) released again.
    await expect(waiting).rejects.toThrow();
    const again = await locks.acquire(["k0", "k1"], wait);
    again();
  });
});
