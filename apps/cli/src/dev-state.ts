import { join } from "node:path";

/** `podium-router dev`'s state directory when --state-dir does not say. */
export const DEFAULT_DEV_STATE_DIR = ".podium-router-dev";

/** Where `dev` keeps each file under its state directory: one place, so `audit verify --state-dir` finds the same log. */
export const devStatePaths = (stateDir: string): { auditPath: string; credentialsPath: string } => ({
  auditPath: join(stateDir, "audit", "audit.jsonl"),
  credentialsPath: join(stateDir, "locations.json"),
});
