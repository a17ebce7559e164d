import type { Http2Session } from "node:http2";
import type { Socket } from "node:net";
import type { ConnectionMetrics, IdleCloseTrigger } from "./metrics.js";

/** The connection limits of the `server` settings. */
export interface ConnectionLimits {
  maxConnections: number;
  idleTimeoutMs: number;
  headerTimeoutMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

/** One client connection. */
interface Connection {
  readonly socket: Socket;
  readonly openedAt: number;
  /** Handed to the HTTP/1.1 or HTTP/2 server: the protocol is known and TLS, if any, is done. */
  ready: boolean;
  /** Open HTTP/1.1 requests or HTTP/2 streams. */
  active: number;
  /** Since when `active` is 0 (the time it was opened, before that). */
  idleSince: number;
  session: Http2Session | undefined;
  closing: boolean;
}

/** Tracks every connection of the port and enforces the limits; see {@link createConnectionTracker}. */
export interface ConnectionTracker {
  /** Takes a new connection; false when it was refused at the cap (it is then destroyed). */
  admit(socket: Socket): boolean;
  /** The connection (its TCP socket, or the TLS socket over it) was handed to the HTTP/1.1 server. */
  servingHttp1(socket: Socket): void;
  /** The connection (its TCP socket, or the TLS socket over it) became an HTTP/2 session. */
  servingHttp2(socket: Socket, session: Http2Session): void;
  /** An HTTP/1.1 request started (headers complete) on `socket`; `ended` when its response closes. */
  requestStarted(socket: Socket): { ended(): void };
  /** Stops the timers and ends every connection. */
  destroyAll(): void;
}

// A closed connection whose peer does not read (so neither a GOAWAY nor a FIN gets out) is cut after this.
const FORCE_CLOSE_MS = 1_000;

/**
 * The connection limits of the port. A connection counts as idle while it has no open request
 * (HTTP/1.1) or stream (HTTP/2); an HTTP/2 connection that only sent its preface and SETTINGS is idle,
 * and PINGs keep nothing alive. Idle ones are closed after `idleTimeoutMs`; one that has not finished
 * its TLS handshake or shown its protocol within `headerTimeoutMs` is dropped. At `maxConnections` a new
 * connection replaces the one idle the longest, so idle connections cannot lock callers out; only when
 * every connection is busy is the new one refused. An HTTP/2 connection with open streams but no frames
 * for `keepaliveTimeMs` is PINGed and closed if the answer takes over `keepaliveTimeoutMs`. One timer
 * sweeps all connections: cost O(open connections) per tick, bounded by the cap.
 */
export function createConnectionTracker(limits: ConnectionLimits, metrics: ConnectionMetrics): ConnectionTracker {
  const connections = new Map<Socket, Connection>();
  // Over TLS the servers see a TLS socket, not the TCP socket admitted: it is found by the peer's address
  // and port (one live connection each), then remembered, so requests find their connection by it.
  const byPeer = new Map<string, Connection>();
  const bySocket = new WeakMap<Socket, Connection>();
  const peerOf = (socket: Socket): string => `${socket.remoteAddress ?? ""}|${socket.remotePort ?? ""}`;
  const connectionOf = (socket: Socket): Connection | undefined => {
    const conn = bySocket.get(socket) ?? byPeer.get(peerOf(socket));
    if (conn !== undefined) bySocket.set(socket, conn);
    return conn;
  };
  let live = 0;
  const sweepMs = Math.min(1_000, Math.max(25, Math.floor(Math.min(limits.idleTimeoutMs, limits.headerTimeoutMs) / 4)));
  let sweeper: NodeJS.Timeout | undefined;

  function close(conn: Connection, trigger: IdleCloseTrigger): void {
    if (conn.closing) return;
    conn.closing = true;
    live--;
    metrics.closedIdle(trigger);
    // GOAWAY first, so an HTTP/2 client retries elsewhere instead of seeing a reset; it closes at once without streams.
    if (conn.session !== undefined && trigger !== "keepalive_timeout") conn.session.close();
    else conn.socket.destroy();
    if (!conn.socket.destroyed) setTimeout(() => conn.socket.destroy(), FORCE_CLOSE_MS).unref();
  }

  function sweep(): void {
    const now = Date.now();
    for (const conn of connections.values()) {
      if (conn.closing) continue;
      if (!conn.ready) {
        if (now - conn.openedAt >= limits.headerTimeoutMs) close(conn, "header_timeout");
      } else if (conn.active === 0 && now - conn.idleSince >= limits.idleTimeoutMs) {
        close(conn, "idle_timeout");
      }
    }
  }

  function longestIdle(): Connection | undefined {
    let found: Connection | undefined;
    for (const conn of connections.values()) {
      if (!conn.closing && conn.active === 0 && (found === undefined || conn.idleSince < found.idleSince)) found = conn;
    }
    return found;
  }

  function keepAlive(conn: Connection, session: Http2Session): void {
    if (limits.keepaliveTimeMs === 0) return;
    // Re-armed after every answer: Node's session timer does not count a PING's ACK as activity.
    const arm = (): void => void session.setTimeout(limits.keepaliveTimeMs, onQuiet);
    const onQuiet = (): void => {
      if (conn.closing || session.destroyed) return;
      // An idle session is the idle timeout's business; a quiet one with streams may have lost its peer.
      if (conn.active === 0) return arm();
      const timer = setTimeout(() => close(conn, "keepalive_timeout"), limits.keepaliveTimeoutMs).unref();
      try {
        // false: too many PINGs outstanding already; the timer decides.
        session.ping((err) => {
          clearTimeout(timer);
          if (err === null) arm();
        });
      } catch {
        // The session is closing; the timer decides.
      }
    };
    arm();
  }

  return {
    admit(socket) {
      if (live >= limits.maxConnections) {
        const idle = longestIdle();
        if (idle === undefined) {
          metrics.refused();
          socket.destroy();
          return false;
        }
        close(idle, "cap");
      }
      const now = Date.now();
      const conn: Connection = { socket, openedAt: now, ready: false, active: 0, idleSince: now, session: undefined, closing: false };
      const peer = peerOf(socket);
      connections.set(socket, conn);
      byPeer.set(peer, conn);
      bySocket.set(socket, conn);
      live++;
      metrics.opened();
      if (limits.keepaliveTimeMs > 0) socket.setKeepAlive(true, limits.keepaliveTimeMs);
      socket.once("close", () => {
        connections.delete(socket);
        if (byPeer.get(peer) === conn) byPeer.delete(peer);
        if (!conn.closing) live--;
        metrics.closed();
      });
      sweeper ??= setInterval(sweep, sweepMs).unref();
      return true;
    },
    servingHttp1(socket) {
      const conn = connectionOf(socket);
      if (conn === undefined) return;
      conn.ready = true;
      conn.idleSince = Date.now();
    },
    servingHttp2(socket, session) {
      const conn = connectionOf(socket);
      if (conn === undefined) return;
      conn.ready = true;
      conn.idleSince = Date.now();
      conn.session = session;
      session.on("stream", (stream) => {
        conn.active++;
        stream.once("close", () => {
          if (--conn.active === 0) conn.idleSince = Date.now();
        });
      });
      keepAlive(conn, session);
    },
    requestStarted(socket) {
      const conn = bySocket.get(socket);
      if (conn !== undefined) conn.active++;
      let done = false;
      return {
        ended() {
          if (done || conn === undefined) return;
          done = true;
          if (--conn.active === 0) conn.idleSince = Date.now();
        },
      };
    },
    destroyAll() {
      clearInterval(sweeper);
      for (const socket of connections.keys()) socket.destroy();
    },
  };
}
