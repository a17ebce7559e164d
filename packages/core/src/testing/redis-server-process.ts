/**
 * A private redis-server for tests that stop and restart Redis: doing that to the machine's shared Redis
 * would break every other test running at the time. Test-only: excluded from the library build.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, connect } from "node:net";

/** The redis-server binary, if one is installed (Debian's redis-server package puts it here). */
export function redisServerBinary(): string | undefined {
  for (const bin of ["/usr/bin/redis-server", "redis-server"]) {
    const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return bin;
  }
  return undefined;
}

export interface RedisServerProcess {
  readonly port: number;
  readonly url: string;
  /** Starts the server (again) on the same port and resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it at once (SIGKILL: no goodbye to clients, like a crash or a lost host). */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (free when asked; the server claims it right after). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => done(d.toString("latin1").startsWith("+PONG")));
    socket.on("error", () => done(false));
  });
}

/** A redis-server without persistence on a free port of 127.0.0.1; call `start()` to run it. */
export async function createRedisServerProcess(binary: string): Promise<RedisServerProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", "/tmp"], { stdio: "ignore" });
      for (let i = 0; i < 100; i++) {
        if (await pings(port)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`redis-server did not answer on port ${port}`);
    },
    async kill() {
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await gone;
    },
  };
}
