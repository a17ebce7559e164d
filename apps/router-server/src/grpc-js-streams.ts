import { once } from "node:events";
import type { ServerHttp2Stream } from "node:http2";
import { ConnectError } from "@connectrpc/connect";
import type { ServerDuplexStream, ServerWritableStream } from "@grpc/grpc-js";
import { grpcStatusFrom, respondWithError } from "./grpc-js-status.js";
import type { FrameReader } from "./protocol-guard.js";

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
 * Checks the frames of a gRPC request (protocol-guard.ts's FrameReader) before grpc-js reads them, so a
 * malformed or oversized request gets the server's typed refusal instead of grpc-js's own answer. The
 * listeners are registered before grpc-js's, so they see each chunk (and the end) first; a refusal
 * closes the stream synchronously and grpc-js stops. Once response headers are out (a streaming call),
 * a refusal can no longer be trailers-only: the stream is then left to grpc-js, whose own status for
 * the same fault goes through typeStatusesOf.
 */
export function guardFrames(stream: ServerHttp2Stream, reader: FrameReader, onRefusal: (err: ConnectError) => void): void {
  const refuse = (e: unknown): void => {
    stream.off("data", onData);
    stream.off("end", onEnd);
    if (!(e instanceof ConnectError) || stream.headersSent) return;
    onRefusal(e);
    respondWithError(stream, e);
  };
  const onData = (chunk: Buffer): void => {
    try {
      reader.push(chunk);
    } catch (e) {
      refuse(e);
    }
  };
  const onEnd = (): void => {
    try {
      reader.end();
    } catch (e) {
      refuse(e);
    }
  };
  stream.on("data", onData);
  stream.once("end", onEnd);
}
