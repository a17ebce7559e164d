/**
 * Keeping one location's call away from every other location: Podium's route table (which path, query and
 * body fields name a location or organization) and the guard that refuses or fills them.
 */
export { guardRequest, MAX_PATH_LENGTH } from "./location-guard.js";
export type { GuardCall, GuardedRequest, GuardLocation, GuardOptions } from "./location-guard.js";
export { matchRoute, podiumRoutes } from "./podium-routes.js";
export type { LocationFill, PodiumMethod, PodiumRoute, RouteMatch } from "./podium-routes.js";
