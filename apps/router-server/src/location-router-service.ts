import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { isAuthorizationState, isOAuthAppName, isRequestId, newRequestId, type EventHub, type LocationRouter } from "@podium-router/core";
import { BadRequestError, InternalError, InvalidConfigError, PermissionDeniedError } from "@podium-router/errors";
import type { LocationRouterService } from "@podium-router/proto";
import type { Logger } from "pino";
import { isConfidentialCall } from "./call-record.js";
import { mayUseLocation, mayUseOAuthApp, type Caller, type CallerAuth } from "./caller-auth.js";
import type { ErrorScope } from "./errors.js";
import type { RpcMetrics } from "./metrics.js";
import {
  auditQueryFromProto,
  auditRecordToProto,
  authorizationRequestFromProto,
  authorizationResultToProto,
  callResponseToProto,
  locationStatusToProto,
  locationToProto,
  onboardingInputsFromProto,
  onboardingResultToProto,
  pendingAuthorizationToProto,
  syncResultToProto,
  verifyResultToProto,
  watchedEventsToProto,
} from "./proto-mapping.js";
import { checkCount, fieldRules, MAX_EVENT_TYPES, MAX_SCOPES, OPTIONAL, REQUIRED, type FieldCheck } from "./request-fields.js";
import { createRpcGate, type RpcRequest } from "./rpc-gate.js";

/** What the service implementation needs; see {@link createLocationRouterService}. */
export interface LocationRouterServiceDeps {
  router: LocationRouter;
  auth: CallerAuth;
  logger: Logger;
  metrics?: RpcMetrics | undefined;
  /** The OAuth redirect URI (`<public_url>/oauth/callback`) BeginAuthorization hands to Podium; undefined until known. */
  redirectUri?: (() => string | undefined) | undefined;
  /** Accept a refresh token over cleartext from a non-loopback address (`server.allow_cleartext_secrets`). @default false */
  allowCleartextSecrets?: boolean | undefined;
  /** Inbound events (WatchEvents, SyncWebhooks, the events part of GetLocationStatus); absent when not enabled. */
  events?: EventHub | undefined;
  /** The router's public URL, which webhooks point at; undefined until known. */
  publicUrl?: (() => string | undefined) | undefined;
}

/** One OAuth app a request names, for the location it names it for. */
interface AppUse {
  locationUid: string;
  oauthApp: string;
  /** The field, as the refusal names it: `oauth_app` or `locations[2].oauth_app`. */
  field: string;
}

/**
 * The LocationRouterService implementation on a LocationRouter. Every RPC authenticates the bearer
 * key, checks the key's grant (refusing and auditing before the core reads any credential), turns the
 * caller's deadline and abort signal into the core's CallContext, and converts every failure with
 * toConnectError. The same object serves connect-node and grpc-js.
 */
export function createLocationRouterService(deps: LocationRouterServiceDeps): ServiceImpl<typeof LocationRouterService> {
  const { router } = deps;
  const { unary, stream } = createRpcGate(deps);

  /**
   * Callers never name a secret: a request names configured OAuth apps, each of which must be well formed and
   * granted to the caller's key. Refused before the core sees the request (the gate audits it for each
   * location); a bad name is never echoed, since it may be a pasted reference or path.
   */
  function admitApps(caller: Caller, uses: readonly AppUse[], scope: ErrorScope): void {
    for (const use of uses) {
      if (use.oauthApp === "") {
        throw new BadRequestError({ ...scope, locationUid: use.locationUid }, `${use.field} is required: the name of an OAuth app configured on the router (oauth_apps)`);
      }
      if (!isOAuthAppName(use.oauthApp)) {
        throw new BadRequestError({ ...scope, locationUid: use.locationUid }, `${use.field} must be the name of an OAuth app configured on the router (lower-case letters, digits, _ and -); it is never a secret reference or a path`);
      }
      if (!mayUseOAuthApp(caller, use.oauthApp)) {
        throw new PermissionDeniedError({ ...scope, locationUid: use.locationUid }, `the API key of ${caller.name} is not granted OAuth app "${use.oauthApp}" (server.api_keys[].oauth_apps)`);
      }
    }
  }

  /**
   * A secret value is accepted only where nothing on a network path could read it: over TLS or from this host,
   * unless the operator allowed cleartext (behind a TLS-terminating proxy).
   */
  function admitSecretTransport(ctx: HandlerContext, scope: ErrorScope): void {
    if (deps.allowCleartextSecrets === true || isConfidentialCall(ctx.values)) return;
    throw new PermissionDeniedError(
      scope,
      "a refresh token is accepted only over TLS or from this host (loopback); this one crossed the network in cleartext, so treat it as exposed: revoke it, obtain a new one and send it over TLS (server.tls), or set server.allow_cleartext_secrets behind a TLS-terminating proxy",
    );
  }
  const scopeOf = (locationUid: string, requestId = ""): ErrorScope => ({
    locationUid: locationUid === "" ? undefined : locationUid,
    requestId: isRequestId(requestId) ? requestId : newRequestId(),
  });
  const uidField = (uid: string, field = "location_uid"): FieldCheck => [field, uid, fieldRules.locationUid, REQUIRED];
  /** The event hub, or the refusal a router without `events.enabled` gives. */
  const eventsOf = (scope: ErrorScope): EventHub => {
    if (deps.events === undefined) throw new InvalidConfigError(scope, "this router does not receive Podium events; set events.enabled: true and restart it");
    return deps.events;
  };

  return {
    call(req, ctx) {
      const scope = scopeOf(req.locationUid, req.requestId);
      const fields: FieldCheck[] = [
        uidField(req.locationUid),
        ["method", req.method, fieldRules.method, REQUIRED],
        ["path", req.path, fieldRules.path, REQUIRED],
        ["request_id", req.requestId, fieldRules.requestId, OPTIONAL],
      ];
      const rpc: RpcRequest = { rpc: "Call", scope, uids: [req.locationUid], fields, call: { method: req.method, path: req.path }, coreAudits: true };
      // The caller's own id, or none: the core makes the call's id. The scope's id names only refusals made
      // here, before the core sees the call (a malformed request_id among them: its line and detail share it).
      const requestId = req.requestId === "" ? undefined : req.requestId;
      return unary(rpc, ctx, async ({ context }) =>
        callResponseToProto(
          await router.call({ locationUid: req.locationUid, method: req.method, path: req.path, body: req.body, requestId }, context),
        ),
      );
    },

    verifyLocation(req, ctx) {
      const rpc: RpcRequest = { rpc: "VerifyLocation", scope: scopeOf(req.locationUid), uids: [req.locationUid], fields: [uidField(req.locationUid)] };
      return unary(rpc, ctx, async ({ context }) => verifyResultToProto(await router.verifyLocation(req.locationUid, { force: req.force, ctx: context })));
    },

    listLocations(req, ctx) {
      const rpc: RpcRequest = { rpc: "ListLocations", scope: scopeOf(""), uids: [], fields: [["org_slug", req.orgSlug, fieldRules.orgSlug, OPTIONAL]] };
      return unary(rpc, ctx, async ({ caller }) => {
        const all = await router.listLocations(req.orgSlug === "" ? undefined : { orgSlug: req.orgSlug });
        // A key sees only the locations it is granted; the others stay invisible rather than refused.
        return { locations: all.filter((l) => mayUseLocation(caller, l.locationUid)).map(locationToProto) };
      });
    },

    getLocationStatus(req, ctx) {
      const rpc: RpcRequest = { rpc: "GetLocationStatus", scope: scopeOf(req.locationUid), uids: [req.locationUid], fields: [uidField(req.locationUid)] };
      return unary(rpc, ctx, async () => locationStatusToProto(await router.getLocationStatus(req.locationUid), await deps.events?.status(req.locationUid)));
    },

    removeLocation(req, ctx) {
      const rpc: RpcRequest = { rpc: "RemoveLocation", scope: scopeOf(req.locationUid), uids: [req.locationUid], fields: [uidField(req.locationUid)], coreAudits: true };
      return unary(rpc, ctx, async ({ context }) => {
        // Its Podium webhook goes first, while the location's credential can still delete it.
        await deps.events?.removeLocation(req.locationUid, context);
        await router.removeLocation(req.locationUid, context);
        return { locationUid: req.locationUid };
      });
    },

    onboardLocations(req, ctx) {
      const uids = req.locations.map((l) => l.locationUid);
      const scope = scopeOf(uids.length === 1 ? (uids[0] ?? "") : "");
      const fields = req.locations.flatMap((l, i): FieldCheck[] => [
        uidField(l.locationUid, `locations[${i}].location_uid`),
        [`locations[${i}].org_slug`, l.orgSlug, fieldRules.orgSlug, REQUIRED],
        // Its value is a secret: checked for size and form only, never quoted. oauth_app: admitApps.
        [`locations[${i}].refresh_token`, l.refreshToken, fieldRules.secretToken, OPTIONAL],
      ]);
      return stream({ rpc: "OnboardLocations", scope, uids, fields }, ctx, async function* ({ caller, context }) {
        admitApps(caller, req.locations.map((l, i) => ({ locationUid: l.locationUid, oauthApp: l.oauthApp, field: `locations[${i}].oauth_app` })), scope);
        if (req.locations.some((l) => l.refreshToken !== "")) admitSecretTransport(ctx, scope);
        const opts = { dryRun: req.dryRun, replace: req.replace, concurrency: req.concurrency === 0 ? undefined : req.concurrency, caller: caller.name, signal: context.signal };
        for await (const result of router.onboardLocations(onboardingInputsFromProto(req), opts)) yield onboardingResultToProto(result);
      });
    },

    queryAudit(req, ctx) {
      const scope = scopeOf(req.locationUid);
      const fields: FieldCheck[] = [
        ["location_uid", req.locationUid, fieldRules.locationUid, OPTIONAL],
        ["method", req.method, fieldRules.auditMethod, OPTIONAL],
        ["status_class", req.statusClass, fieldRules.statusClass, OPTIONAL],
        ["request_id", req.requestId, fieldRules.requestId, OPTIONAL],
      ];
      const authorize = (caller: Caller): void => {
        if (req.locationUid === "" && caller.locations !== "*") {
          throw new PermissionDeniedError(scope, `location_uid is required: the API key of ${caller.name} is not granted every location`);
        }
      };
      // The core writes the query's line (who asked for which location) as it starts.
      const rpc: RpcRequest = { rpc: "QueryAudit", scope, uids: req.locationUid === "" ? [] : [req.locationUid], fields, authorize, coreAudits: true };
      return stream(rpc, ctx, async function* ({ context }) {
        for await (const record of router.queryAudit(auditQueryFromProto(req), context)) yield { record: auditRecordToProto(record) };
      });
    },

    beginAuthorization(req, ctx) {
      const scope = scopeOf(req.locationUid);
      const fields: FieldCheck[] = [
        uidField(req.locationUid),
        ["org_slug", req.orgSlug, fieldRules.orgSlug, REQUIRED],
        ...req.scopes.map((s, i): FieldCheck => [`scopes[${i}]`, s, fieldRules.scope, REQUIRED]),
      ];
      const counts = [["scopes", req.scopes.length, MAX_SCOPES]] as const;
      return unary({ rpc: "BeginAuthorization", scope, uids: [req.locationUid], fields, counts }, ctx, async ({ caller, context }) => {
        admitApps(caller, [{ locationUid: req.locationUid, oauthApp: req.oauthApp, field: "oauth_app" }], scope);
        const redirectUri = deps.redirectUri?.();
        if (redirectUri === undefined) throw new InternalError(scope, "this server has no OAuth callback address yet; set server.public_url");
        return pendingAuthorizationToProto(await router.beginAuthorization(authorizationRequestFromProto(req, redirectUri), context));
      });
    },

    awaitAuthorization(req, ctx) {
      // The grant is checked against the location the state is bound to; an unknown state is refused by the core.
      const uid = isAuthorizationState(req.state) ? router.peekAuthorization(req.state)?.locationUid : undefined;
      const fields: FieldCheck[] = [["state", req.state, fieldRules.authorizationState, REQUIRED]];
      const rpc: RpcRequest = { rpc: "AwaitAuthorization", scope: scopeOf(uid ?? ""), uids: uid === undefined ? [] : [uid], fields };
      return unary(rpc, ctx, async ({ context }) => {
        const remaining = context.deadline === undefined ? undefined : Math.max(0, context.deadline - Date.now());
        const signal = remaining === undefined || context.signal === undefined ? context.signal : AbortSignal.any([context.signal, AbortSignal.timeout(remaining)]);
        return authorizationResultToProto(await router.awaitAuthorization(req.state, signal));
      });
    },

    watchEvents(req, ctx) {
      const scope = scopeOf(req.locationUid);
      checkCount(scope, "event_types", req.eventTypes.length, MAX_EVENT_TYPES);
      const fields: FieldCheck[] = [
        uidField(req.locationUid),
        ["after_cursor", req.afterCursor, fieldRules.eventCursor, OPTIONAL],
        ...req.eventTypes.map((t, i): FieldCheck => [`event_types[${i}]`, t, fieldRules.eventType, REQUIRED]),
      ];
      return stream({ rpc: "WatchEvents", scope, uids: [req.locationUid], fields }, ctx, async function* ({ context }) {
        const watch = { locationUid: req.locationUid, afterCursor: req.afterCursor, eventTypes: req.eventTypes, onlyNew: req.onlyNew };
        for await (const batch of await eventsOf(scope).watch(watch, context.signal ?? ctx.signal)) yield watchedEventsToProto(batch);
      });
    },

    syncWebhooks(req, ctx) {
      const uids = req.locationUids;
      const scope = scopeOf(uids.length === 1 ? (uids[0] ?? "") : "");
      const fields = uids.map((uid, i) => uidField(uid, `location_uids[${i}]`));
      return stream({ rpc: "SyncWebhooks", scope, uids, fields }, ctx, async function* ({ caller, context }) {
        if (uids.length === 0 && caller.locations !== "*") {
          throw new PermissionDeniedError(scope, `location_uids is required: the API key of ${caller.name} is not granted every location`);
        }
        const hub = eventsOf(scope);
        const publicUrl = deps.publicUrl?.();
        if (publicUrl === undefined) throw new InternalError(scope, "this server has no public address yet; set server.public_url");
        // Not bound by the RPC's deadline: a sync of many locations outlasts it, and each Podium call has its own.
        for await (const r of hub.syncWebhooks({ locationUids: uids, publicUrl }, { caller: context.caller, signal: context.signal })) yield syncResultToProto(r);
      });
    },
  };
}
