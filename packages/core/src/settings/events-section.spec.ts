import { describe, expect, it } from "vitest";
import { InvalidConfigError } from "@podium-router/errors";
import { PODIUM_EVENT_TYPES } from "./events-section.js";
import { defaultSettings, validateSettings } from "./settings.js";

const UID = "c0a57a15-5e11-4000-8000-000000000001";

function configError(raw: unknown): string {
  try {
    validateSettings(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return (err as Error).message;
  }
  throw new Error("expected InvalidConfigError");
}

describe("readEventsSettings()", () => {
  it("is off by default, on SQLite, subscribed to all 26 event types, with Podium's 10-day retention", () => {
    expect(defaultSettings.events).toMatchObject({ enabled: false, backend: "sqlite", retentionHours: 240, maxBodyBytes: 262144, timestampToleranceMs: 300000, organizationWebhooks: [], forwarders: {} });
    expect(defaultSettings.events.eventTypes).toEqual([...PODIUM_EVENT_TYPES]);
    expect(PODIUM_EVENT_TYPES).toHaveLength(26);
  });

  it("reads forwarders keyed by location uid, with a secret reference and optional event types", () => {
    const s = validateSettings({ events: { enabled: true, forwarders: { [UID]: { url: "https://app.example/hook/", secret_ref: "env:FWD", event_types: ["contact.created"] } } } });
    expect(s.events.forwarders[UID]).toEqual({ url: "https://app.example/hook", secretRef: "env:FWD", eventTypes: ["contact.created"] });
  });

  it.each([
    [{ events: { event_types: ["contact.exploded"] } }, "events.event_types must list Podium event types"],
    [{ events: { event_types: [] } }, "events.event_types must be a non-empty array"],
    [{ events: { retention_hours: 0 } }, "events.retention_hours must be an integer between 1 and"],
    [{ events: { max_body_bytes: 10 } }, "events.max_body_bytes must be an integer between 1024"],
    [{ events: { backend: "redis" } }, "events.backend must be one of sqlite | postgres"],
    [{ events: { organization_webhooks: "coastal" } }, "events.organization_webhooks must be an array"],
    [{ events: { forwarders: { "-bad": { url: "https://x", secret_ref: "env:X" } } } }, "events.forwarders must be keyed by location uids"],
    [{ events: { forwarders: { [UID]: { url: "https://x", secret_ref: "hunter2" } } } }, `events.forwarders.${UID}.secret_ref must be a secret reference`],
    [{ events: { forwarders: { [UID]: { secret_ref: "env:X" } } } }, `events.forwarders.${UID}.url is required`],
    [{ events: { forward_retry: { base_delay_ms: 10, max_delay_ms: 5 } } }, "events.forward_retry.max_delay_ms must be >="],
    [{ events: { colour: "blue" } }, "unknown key events.colour"],
    [
      { events: { enabled: true }, state: { backend: "redis", redis: { replicas: 3 } } },
      "events.backend must be postgres when several replicas run",
    ],
  ])("refuses %j", (raw, expected) => {
    expect(configError(raw)).toContain(expected);
  });

  it("never shows a secret pasted where a secret reference belongs", () => {
    expect(configError({ events: { forwarders: { [UID]: { url: "https://x", secret_ref: "s3cr3t-value" } } } })).not.toContain("s3cr3t-value");
  });

  it("allows the SQLite log with a single replica on Redis, and PostgreSQL with several", () => {
    expect(validateSettings({ events: { enabled: true }, state: { backend: "redis" } }).events.backend).toBe("sqlite");
    expect(validateSettings({ events: { enabled: true, backend: "postgres" }, state: { backend: "redis", redis: { replicas: 3 } } }).events.backend).toBe("postgres");
  });
});
