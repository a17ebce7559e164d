import type { Server as HttpServer } from "node:http";
import type { Http2Server } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";

/** The client connection preface every HTTP/2 prior-knowledge (h2c) connection starts with. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that has not said which protocol it speaks within this time is dropped. */
const SNIFF_TIMEOUT_MS = 10_000;

/** One listening port that hands each connection to the HTTP/1.1 or the HTTP/2 server. */
export interface PortListener {
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting connections; open ones stay until {@link destroyConnections}. */
  stopAccepting(): void;
  /** Destroys every connection still open. */
  destroyConnections(): void;
}

/** What {@link createPortListener} needs: the two servers (never listening themselves) and TLS, if any. */
export interface PortListenerOptions {
  h1: HttpServer;
  h2: Http2Server;
  tls?: { cert: Buffer; key: Buffer } | undefined;
  onTlsError?: (err: Error) => void;
}

/**
 * Cleartext: sniffs the first bytes of each connection for the HTTP/2 preface (h2c prior knowledge)
 * and hands the socket over with the bytes read so far put back. TLS: ALPN decides ("h2", else
 * HTTP/1.1). Both keep every socket in a set, because neither server owns the listening port and
 * so neither can close the connections on shutdown.
 */
export function createPortListener(opts: PortListenerOptions): PortListener {
  const { h1, h2 } = opts;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // Errors surface through the servers after the handoff; this only keeps an early reset from crashing the process.
    socket.on("error", () => {});
  };

  let server: NetServer;
  if (opts.tls === undefined) {
    server = createNetServer((socket) => {
      track(socket);
      sniff(socket, h1, h2);
    });
  } else {
    const tlsServer = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ["h2", "http/1.1"] });
    tlsServer.on("connection", track);
    tlsServer.on("secureConnection", (socket: TLSSocket) => {
      if (socket.alpnProtocol === "h2") h2.emit("connection", socket);
      else h1.emit("connection", socket);
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
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

function sniff(socket: Socket, h1: HttpServer, h2: Http2Server): void {
  let seen: Buffer = Buffer.alloc(0);
  socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const matches = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    // Still a prefix of the preface but shorter: wait for more bytes.
    if (matches && n < H2_PREFACE.length) return;
    socket.off("data", onData);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(seen);
    if (matches) {
      // Never resume for HTTP/2: the session reads the buffered bytes itself and then takes over the
      // handle; a resumed JS stream would steal bytes (clients see GOAWAY INTERNAL_ERROR).
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      // The HTTP/1.1 parser only reads a flowing socket; without this the request hangs.
      socket.resume();
    }
  };
  socket.on("data", onData);
}
