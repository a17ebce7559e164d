/** True for a JSON object (`{…}`): not null, not an array. What every reader of Podium's documents checks first. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
