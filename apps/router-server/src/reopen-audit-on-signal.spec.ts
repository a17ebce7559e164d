import { EventEmitter } from "node:events";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { LocationRouter } from "@podium-router/core";
import { reopenAuditOnSignal } from "./reopen-audit-on-signal.js";

describe("reopenAuditOnSignal()", () => {
  it("reopens the router's audit log on each SIGHUP", async () => {
    const reopenAudit = vi.fn(() => Promise.resolve());
    const signals = new EventEmitter();
    reopenAuditOnSignal({ reopenAudit } as unknown as LocationRouter, pino({ level: "silent" }), signals);
    signals.emit("SIGHUP");
    signals.emit("SIGHUP");
    await Promise.resolve();
    expect(reopenAudit).toHaveBeenCalledTimes(2);
  });
});
