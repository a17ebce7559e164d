#!/usr/bin/env node
// The `podium-router` command. dist/ is built by the root `prepare` script at `npm install`
// (or `npx tsc -b apps/cli/tsconfig.lib.json`).
import "../dist/main.js";
