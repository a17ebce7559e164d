import type { Client } from "pg";
import { createRequire } from "node:module";

/**
 * The cross-replica wake-up of the PostgreSQL event log: LISTEN, on a dedicated connection, to the NOTIFY every
 * stored event sends when its transaction commits (payload `<seq>:<location uid>`).
 * @internal
 */
export class PgEventListener {
  readonly #url: string;
  readonly #channel: string;
  readonly #onAppended: (locationUid: string, seq: number) => void;
  readonly #closed: () => boolean;
  #client: Client | undefined;
  #retry: NodeJS.Timeout | undefined;

  /** `closed` says when the log closed: then nothing connects again. */
  constructor(url: string, channel: string, onAppended: (locationUid: string, seq: number) => void, closed: () => boolean) {
    this.#url = url;
    this.#channel = channel;
    this.#onAppended = onAppended;
    this.#closed = closed;
  }

  /** Starts listening, unless it listens already or waits to reconnect. */
  start(): void {
    if (this.#client === undefined && this.#retry === undefined) void this.#listen();
  }

  /** Stops reconnecting and ends the connection; call once the log is closed. */
  async stop(): Promise<void> {
    clearTimeout(this.#retry);
    await this.#client?.end().catch(() => undefined);
  }

  /** LISTEN on a dedicated connection; when it drops, reconnect after a second (readers poll meanwhile). */
  async #listen(): Promise<void> {
    if (this.#closed()) return;
    const pg = createRequire(import.meta.url)("pg") as typeof import("pg");
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5_000 });
    const retry = (): void => {
      if (this.#client === client) this.#client = undefined;
      void client.end().catch(() => undefined);
      if (this.#closed() || this.#retry !== undefined) return;
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        void this.#listen();
      }, 1_000);
      this.#retry.unref();
    };
    client.on("error", retry);
    client.on("end", retry);
    client.on("notification", (msg) => {
      const payload = msg.payload ?? "";
      const colon = payload.indexOf(":");
      if (colon > 0) this.#onAppended(payload.slice(colon + 1), Number(payload.slice(0, colon)));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
      this.#client = client;
      if (this.#closed()) await client.end().catch(() => undefined);
    } catch {
      retry();
    }
  }
}
