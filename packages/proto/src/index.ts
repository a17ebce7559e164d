// The generated protobuf code of podium-router. buf writes src/gen (and empties it on each run), so this
// barrel lives outside it. Reflection v1 and v1alpha export the same names, hence the namespaces.
export * from "./gen/podium/router/v1/router_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
export * as healthV1 from "./gen/grpc/health/v1/health_pb.js";
export * as reflectionV1 from "./gen/grpc/reflection/v1/reflection_pb.js";
export * as reflectionV1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
