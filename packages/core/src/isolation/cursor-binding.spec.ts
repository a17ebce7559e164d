import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCursorBinder } from "./cursor-binding.js";

const key = randomBytes(32);
const A = "loc-a";
const B = "loc-b";
const ROUTE = "/v4/contacts";

describe("createCursorBinder()", () => {
  const binder = createCursorBinder(key);

  it("gives back Podium's cursor for the location and route that listed it", () => {
    const podium = Buffer.from(JSON.stringify({ o: 10, l: 10, f: {} })).toString("base64url");
    const mine = binder.bind(A, ROUTE, podium);
    expect(mine).not.toContain(podium);
    expect(binder.unbind(A, ROUTE, mine)).toBe(podium);
  });

  it("refuses the cursor for another location, another route, another key, or when tampered with", () => {
    const mine = binder.bind(A, ROUTE, "cursor-1");
    expect(binder.unbind(B, ROUTE, mine)).toBeUndefined();
    expect(binder.unbind(A, "/v4/reviews", mine)).toBeUndefined();
    expect(createCursorBinder(randomBytes(32)).unbind(A, ROUTE, mine)).toBeUndefined();
    const [prefix, body, mac] = mine.split(".");
    const forged = `${prefix}.${Buffer.from("cursor-2").toString("base64url")}.${mac}`;
    expect(binder.unbind(A, ROUTE, forged)).toBeUndefined();
    expect(binder.unbind(A, ROUTE, `${prefix}.${body}.${"A".repeat(22)}`)).toBeUndefined();
    // The MAC's last base64url character carries 2 bits and 4 spare ones: a spelling that differs only in the spare
    // bits decodes to the same MAC, and is refused all the same (only the router's own spelling is accepted).
    const last = (mac as string).at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
    expect(Buffer.from(`${(mac as string).slice(0, -1)}${sibling}`, "base64url")).toEqual(Buffer.from(mac as string, "base64url"));
    expect(binder.unbind(A, ROUTE, `${prefix}.${body}.${(mac as string).slice(0, -1)}${sibling}`)).toBeUndefined();
  });

  it("refuses Podium's raw cursors, garbage and oversized values", () => {
    for (const value of ["cursor-1", "prc1.", "prc1.abc", "prc1.abc.", "prc1..", `prc1.${"a".repeat(5000)}.x`, ""]) {
      expect(binder.unbind(A, ROUTE, value), value).toBeUndefined();
    }
  });
});
