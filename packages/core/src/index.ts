export type * from "./location-router-api.js";
