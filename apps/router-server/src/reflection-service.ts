import { createRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { reflectionV1, reflectionV1alpha } from "@podium-router/proto";

/** The answer to one reflection request; v1 and v1alpha share the shape, so one builder serves both. */
type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

type ReflectionQuery = reflectionV1.ServerReflectionRequest["messageRequest"];

// gRPC status codes in ErrorResponse.error_code.
const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/** Answers reflection queries about a fixed set of services from their embedded descriptors. */
export interface ReflectionIndex {
  answer(query: ReflectionQuery): ReflectionAnswer;
}

/**
 * Builds the descriptor index for `services`: every file they are declared in, plus each file's
 * transitive imports, so a client can rebuild the whole schema (`buf curl --list-methods`).
 */
export function createReflectionIndex(services: readonly DescService[]): ReflectionIndex {
  const files = new Map<string, DescFile>();
  const addFile = (file: DescFile): void => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    file.dependencies.forEach(addFile);
  };
  services.forEach((s) => addFile(s.file));
  const registry = createRegistry(...files.values());
  const encoded = new Map<string, Uint8Array>();
  const encode = (file: DescFile): Uint8Array => {
    let bytes = encoded.get(file.name);
    if (bytes === undefined) encoded.set(file.name, (bytes = toBinary(FileDescriptorProtoSchema, file.proto)));
    return bytes;
  };
  // A file and everything it imports, the file first, each once.
  const withDependencies = (file: DescFile): ReflectionAnswer => {
    const out: DescFile[] = [];
    const visit = (f: DescFile): void => {
      if (out.includes(f)) return;
      out.push(f);
      f.dependencies.forEach(visit);
    };
    visit(file);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out.map(encode) } };
  };
  const notFound = (what: string): ReflectionAnswer => ({ case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } });

  return {
    answer(query) {
      switch (query.case) {
        case "listServices":
          return { case: "listServicesResponse", value: { service: services.map((s) => ({ name: s.typeName })) } };
        case "fileByFilename": {
          const file = files.get(query.value);
          return file === undefined ? notFound(`file ${query.value}`) : withDependencies(file);
        }
        case "fileContainingSymbol": {
          // "pkg.Service.Method" names a method: fall back to its parent, the service.
          const symbol = query.value;
          const desc = registry.get(symbol) ?? registry.get(symbol.slice(0, Math.max(0, symbol.lastIndexOf("."))));
          return desc === undefined ? notFound(`symbol ${symbol}`) : withDependencies(desc.file);
        }
        default:
          return { case: "errorResponse", value: { errorCode: UNIMPLEMENTED, errorMessage: "extensions are not supported" } };
      }
    },
  };
}

/** `grpc.reflection.v1.ServerReflection`: one bidi stream, one answer per request. */
export function createReflectionV1Service(index: ReflectionIndex): ServiceImpl<typeof reflectionV1.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req.messageRequest) };
      }
    },
  };
}

/** `grpc.reflection.v1alpha.ServerReflection`, for clients that predate v1 (`--reflect-protocol grpc-v1alpha`). */
export function createReflectionV1alphaService(index: ReflectionIndex): ServiceImpl<typeof reflectionV1alpha.ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: index.answer(req.messageRequest as ReflectionQuery) };
      }
    },
  };
}
