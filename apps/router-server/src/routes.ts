import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import type { EventHub, LocationRouter } from "@podium-router/core";
import { healthV1, LocationRouterService, reflectionV1, reflectionV1alpha } from "@podium-router/proto";
import type { Logger } from "pino";
import type { CallerAuth } from "./caller-auth.js";
import { createHealthService, type HealthState } from "./health-service.js";
import { createLocationRouterService } from "./location-router-service.js";
import type { RpcMetrics } from "./metrics.js";
import { createReflectionIndex, createReflectionV1alphaService, createReflectionV1Service } from "./reflection-service.js";

/** A service and its implementation, as both engines (connect-node and grpc-js) register it. */
export interface HostedService {
  readonly service: DescService;
  readonly impl: ServiceImpl<DescService>;
}

/** What {@link createHostedServices} needs. */
export interface HostedServicesDeps {
  router: LocationRouter;
  auth: CallerAuth;
  logger: Logger;
  health: HealthState;
  metrics?: RpcMetrics | undefined;
  /** Serve reflection v1 and v1alpha. @default true */
  reflection?: boolean | undefined;
  /** The OAuth redirect URI BeginAuthorization hands to Podium; undefined until known. @default none: BeginAuthorization fails */
  redirectUri?: (() => string | undefined) | undefined;
  /** Accept a refresh token over cleartext from a non-loopback address (`server.allow_cleartext_secrets`). @default false */
  allowCleartextSecrets?: boolean | undefined;
  /** Inbound events: WatchEvents, SyncWebhooks and the events part of GetLocationStatus. @default none: refused */
  events?: EventHub | undefined;
  /** The router's public URL (webhooks point at it); undefined until known. */
  publicUrl?: (() => string | undefined) | undefined;
}

/**
 * The services the port hosts: LocationRouterService (API key required), gRPC health and, unless
 * disabled, server reflection. Health and reflection are open: they reveal the serving state and
 * the public contract in proto/, nothing about locations or calls.
 */
export function createHostedServices(deps: HostedServicesDeps): HostedService[] {
  const reflected: DescService[] = [LocationRouterService, healthV1.Health];
  if (deps.reflection !== false) reflected.push(reflectionV1.ServerReflection, reflectionV1alpha.ServerReflection);
  const index = createReflectionIndex(reflected);
  const hosted: HostedService[] = [
    { service: LocationRouterService, impl: createLocationRouterService(deps) as ServiceImpl<DescService> },
    { service: healthV1.Health, impl: createHealthService(deps.health, reflected.map((s) => s.typeName)) as ServiceImpl<DescService> },
  ];
  if (deps.reflection !== false) {
    hosted.push(
      { service: reflectionV1.ServerReflection, impl: createReflectionV1Service(index) as ServiceImpl<DescService> },
      { service: reflectionV1alpha.ServerReflection, impl: createReflectionV1alphaService(index) as ServiceImpl<DescService> },
    );
  }
  return hosted;
}

/** The Connect routes for the hosted services: `(router: ConnectRouter) => void`, as connect-node expects. */
export function createRoutes(services: readonly HostedService[]): (router: ConnectRouter) => void {
  return (router) => {
    for (const { service, impl } of services) router.service(service, impl);
  };
}
