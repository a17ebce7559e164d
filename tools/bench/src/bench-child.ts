/**
 * The bench's processes: the parent forks the sandbox, the router and the load generator as separate
 * Node processes (so each one's CPU time is its own) and talks to them over the IPC channel with
 * numbered requests. Bench-only plumbing.
 */
import { fork, type ChildProcess } from "node:child_process";

/** A request the parent sends: the handler name and its argument. */
interface RequestMessage {
  id: number;
  op: string;
  arg: unknown;
}

/** The child's answer to one request. */
type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** A forked child, as the parent sees it. */
export interface BenchChild {
  readonly pid: number;
  /** Calls the child's handler `op` and resolves with what it returned. */
  request<T>(op: string, arg?: unknown): Promise<T>;
  /** Asks the child to close (its "close" handler) and waits for it to exit; kills it after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Options of {@link forkBenchChild}. */
export interface ForkOptions {
  /** Extra Node flags, e.g. `--cpu-prof`. @default [] */
  execArgv?: string[];
  /** Environment of the child. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Forks `module` (a compiled child entry) and resolves once it has sent "ready". */
export function forkBenchChild(module: URL, options: ForkOptions = {}): Promise<BenchChild> {
  const child: ChildProcess = fork(module, [], { execArgv: options.execArgv ?? [], env: options.env ?? process.env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited: Error | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = new Error(`bench child ${module.pathname.split("/").pop()} exited (${signal ?? code})`);
      for (const p of pending.values()) p.reject(exited);
      pending.clear();
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (raw) => {
      const msg = raw as ReplyMessage | { ready: true };
      if ("ready" in msg) {
        resolve(handle);
        return;
      }
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.value);
      else p?.reject(new Error(msg.error));
    });
    void exit.then(() => reject(exited));
    const handle: BenchChild = {
      pid: child.pid ?? -1,
      request<T>(op: string, arg?: unknown): Promise<T> {
        if (exited !== undefined) return Promise.reject(exited);
        const id = nextId++;
        return new Promise<T>((res, rej) => {
          pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
          child.send({ id, op, arg } satisfies RequestMessage);
        });
      },
      async close(graceMs = 10_000) {
        if (exited !== undefined) return;
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await handle.request("close").catch(() => {});
        await exit;
        clearTimeout(timer);
      },
    };
  });
}

/** A child's handlers: each takes the parent's argument and returns what the parent's request resolves with. */
export type BenchHandlers = Record<string, (arg: never) => unknown>;

/**
 * The child side: answers the parent's requests with `handlers`, then says "ready". A "close" handler
 * should release what the child holds; the process exits right after it returns (a clean exit, so
 * `--cpu-prof` writes its profile). The child also exits when the parent goes away.
 */
export function serveBenchParent(handlers: BenchHandlers): void {
  const send = (msg: ReplyMessage | { ready: true }, then?: () => void): void => void process.send?.(msg, undefined, {}, () => then?.());
  process.on("message", (raw) => {
    const { id, op, arg } = raw as RequestMessage;
    const handler = handlers[op] as ((arg: unknown) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (handler === undefined && op !== "close") throw new Error(`no handler ${op}`);
        return handler?.(arg);
      })
      .then(
        (value) => {
          // After "close", exit once the reply is flushed.
          send({ id, ok: true, value: value ?? null }, op === "close" ? () => process.exit(0) : undefined);
        },
        (err: unknown) => send({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  process.once("disconnect", () => process.exit(0));
  send({ ready: true });
}
