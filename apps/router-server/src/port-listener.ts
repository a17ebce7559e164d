import type { Server as HttpServer } from "node:http";
import type { Http2Server, Http2Session } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { createConnectionTracker, type ConnectionLimits } from "./connection-tracker.js";
import type { ConnectionMetrics } from "./metrics.js";

/** The client connection preface every HTTP/2 prior-knowledge (h2c) connection starts with. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** One listening port that hands each connection to the HTTP/1.1 or the HTTP/2 server. */
export interface PortListener {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting connections; open ones stay until {@link destroyConnections}. */
  stopAccepting(): void;
  /** Destroys every connection still open. */
  destroyConnections(): void;
}

/** What {@link createPortListener} needs: the two servers (never listening themselves), TLS if any, and the limits. */
export interface PortListenerOptions {
  h1: HttpServer;
  h2: Http2Server;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  onTlsError?: (err: Error) => void;
  limits: ConnectionLimits;
  metrics: ConnectionMetrics;
}

/**
 * Cleartext: sniffs the first bytes of each connection for the HTTP/2 preface (h2c prior knowledge)
 * and hands the socket over with the bytes read so far put back. TLS: ALPN decides ("h2", else
 * HTTP/1.1). Neither server owns the listening port, so this tracks every connection itself (for
 * shutdown, and for the limits: connection-tracker.ts).
 */
export function createPortListener(opts: PortListenerOptions): PortListener {
  const { h1, h2 } = opts;
  const tracker = createConnectionTracker(opts.limits, opts.metrics);
  const admit = (socket: Socket): boolean => {
    // Errors surface through the servers after the handoff; this only keeps an early reset from crashing the process.
    socket.on("error", () => {});
    return tracker.admit(socket);
  };

  // The HTTP/2 server makes a session synchronously on "connection": this is how the session finds its connection.
  let handingToHttp2: Socket | undefined;
  h2.on("session", (session: Http2Session) => {
    if (handingToHttp2 !== undefined) tracker.servingHttp2(handingToHttp2, session);
  });
  const toHttp2 = (socket: Socket): void => {
    handingToHttp2 = socket;
    try {
      h2.emit("connection", socket);
    } finally {
      handingToHttp2 = undefined;
    }
  };
  const toHttp1 = (socket: Socket): void => {
    tracker.servingHttp1(socket);
    h1.emit("connection", socket);
  };
  // Before the router's own listener, so the request counts as open while it is being handled.
  h1.prependListener("request", (req, res) => {
    const request = tracker.requestStarted(req.socket);
    res.once("close", request.ended);
  });

  let server: NetServer;
  if (opts.tls === undefined) {
    server = createNetServer((socket) => {
      if (admit(socket)) sniff(socket, toHttp1, toHttp2);
    });
  } else {
    const tlsServer = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ["h2", "http/1.1"] });
    tlsServer.on("connection", admit);
    tlsServer.on("secureConnection", (socket: TLSSocket) => {
      if (socket.alpnProtocol === "h2") toHttp2(socket);
      else toHttp1(socket);
    });
    tlsServer.on("tlsClientError", (err) => opts.onTlsError?.(err));
    server = tlsServer;
  }

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    stopAccepting() {
      // close() calls back only once every connection is gone; the caller drains and destroys those.
      if (server.listening) server.close(() => {});
    },
    destroyConnections() {
      tracker.destroyAll();
    },
  };
}

function sniff(socket: Socket, toHttp1: (socket: Socket) => void, toHttp2: (socket: Socket) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const matches = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    // Still a prefix of the preface but shorter: wait for more bytes (the header timeout bounds the wait).
    if (matches && n < H2_PREFACE.length) return;
    socket.off("data", onData);
    socket.pause();
    socket.unshift(seen);
    if (matches) {
      // Never resume for HTTP/2: the session reads the buffered bytes itself and then takes over the
      // handle; a resumed JS stream would steal bytes (clients see GOAWAY INTERNAL_ERROR).
      toHttp2(socket);
    } else {
      toHttp1(socket);
      // The HTTP/1.1 parser only reads a flowing socket; without this the request hangs.
      socket.resume();
    }
  };
  socket.on("data", onData);
}
