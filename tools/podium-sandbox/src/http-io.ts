import type { IncomingMessage, ServerResponse } from "node:http";

/** What a handler answers; the dispatcher writes it and records it in the ledger. */
export interface Reply {
  status: number;
  /** Serialised as JSON; omitted for bodiless answers (302, 204). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Error code to record in the ledger. */
  errorCode?: string;
}

/** Podium documents no body limit; this only keeps a runaway client from exhausting memory. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The request body, or null when there is none; `tooLarge` when it passed MAX_BODY_BYTES. */
export interface RawBody {
  text: string | null;
  /** The same body as bytes (multipart bodies are parsed from these). */
  bytes: Buffer | null;
  tooLarge: boolean;
}

const EMPTY: RawBody = { text: null, bytes: null, tooLarge: false };

/** Read the whole body. Resolves at once, with no listeners, for requests that declare none. */
export function readBody(req: IncomingMessage): Promise<RawBody> {
  const length = req.headers["content-length"];
  if ((length === undefined || length === "0") && req.headers["transfer-encoding"] === undefined) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge || size === 0) return resolve({ text: null, bytes: null, tooLarge });
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      resolve({ text: bytes.toString("utf8"), bytes, tooLarge });
    });
    req.on("error", reject);
  });
}

/** Write a reply: JSON with Content-Length, so keep-alive clients never wait for a close. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = { ...reply.headers };
  if (reply.body === undefined) {
    headers["content-length"] = 0;
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers["content-type"] = "application/json; charset=utf-8";
  headers["content-length"] = Buffer.byteLength(text);
  res.writeHead(reply.status, headers);
  res.end(text);
}

/** A header's single value (the first when repeated). */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Whether the peer is on this machine (the admin API answers loopback only). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/** A parsed multipart/form-data body: text fields, and what is known of each file. */
export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, { filename: string; contentType: string; size: number }>;
}

/** Parse a multipart/form-data body (with the platform's own parser); undefined when it is not valid. */
export async function readMultipart(contentType: string, bytes: Buffer): Promise<MultipartBody | undefined> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(bytes), { headers: { "content-type": contentType } }).formData();
  } catch {
    return undefined;
  }
  const out: MultipartBody = { fields: {}, files: {} };
  for (const [name, value] of form) {
    if (typeof value === "string") out.fields[name] = value;
    else out.files[name] = { filename: value.name, contentType: value.type || "application/octet-stream", size: value.size };
  }
  return out;
}
