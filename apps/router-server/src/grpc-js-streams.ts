import { once } from "node:events";
import { constants, type ServerHttp2Stream } from "node:http2";
import { Code } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { ServerDuplexStream, ServerWritableStream } from "@grpc/grpc-js";
import { connectErrorFor } from "./errors.js";
import { grpcStatusFrom } from "./grpc-js-status.js";

/** Writes each response, honouring back-pressure, then ends the call; an error becomes the call's status. */
export async function pipeResponses(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, responses: AsyncIterable<unknown>): Promise<void> {
  try {
    for await (const res of responses) {
      if (call.cancelled) return;
      if (!call.write(res)) await once(call, "drain");
    }
    call.end();
  } catch (e) {
    if (!call.cancelled) call.emit("error", grpcStatusFrom(e));
  }
}

/**
 * The request messages of a bidi call. Not `for await (… of call)`: a Readable's async iterator
 * destroys the stream when the requests end, which would destroy grpc-js's duplex, responses and all.
 */
export async function* readMessages(call: ServerDuplexStream<unknown, unknown>): AsyncGenerator<unknown> {
  const queue: unknown[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  call.on("data", (message: unknown) => {
    queue.push(message);
    // Back-pressure: grpc-js reads the next message only while the stream flows.
    if (queue.length >= 16) call.pause();
    notify();
  });
  call.once("end", () => ((ended = true), notify()));
  call.once("error", (err: unknown) => ((failure = err), notify()));
  for (;;) {
    if (queue.length > 0) {
      const message = queue.shift();
      if (call.isPaused() && queue.length < 4) call.resume();
      yield message;
    } else if (failure !== undefined) {
      throw failure;
    } else if (ended) {
      return;
    } else {
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
}

/**
 * Enforces server.max_request_bytes on a gRPC stream before grpc-js reads it, so the refusal carries
 * the ErrorDetail: grpc-js's own size check answers from inside the call, past every interceptor.
 * This listener is registered before grpc-js's, so it sees each chunk first; it checks the first
 * message's declared length (before its body arrives) and the running total (later messages).
 */
export function limitRequestBytes(stream: ServerHttp2Stream, max: number): void {
  let total = 0;
  let head: Buffer | undefined = Buffer.alloc(0);
  const refuse = (): void => {
    stream.off("data", onData);
    if (!stream.headersSent) {
      const headers: Record<string, string> = { ":status": "200", "content-type": "application/grpc+proto" };
      const trailer = new Headers();
      setTrailerStatus(trailer, connectErrorFor(Code.ResourceExhausted, "ERR_LOC_BAD_REQUEST", `request exceeds server.max_request_bytes (${max} bytes)`));
      trailer.forEach((value, key) => (headers[key] = value));
      stream.respond(headers, { endStream: true });
    }
    // Closed synchronously: grpc-js, reading this same chunk next, sees the stream closed and stops.
    stream.close(constants.NGHTTP2_NO_ERROR);
  };
  const onData = (chunk: Buffer): void => {
    total += chunk.length;
    if (head !== undefined) {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head.length >= 5) {
        const declared = head.readUInt32BE(1) + 5;
        head = undefined;
        if (declared > max) return refuse();
      }
    }
    if (total > max) refuse();
  };
  stream.on("data", onData);
}
