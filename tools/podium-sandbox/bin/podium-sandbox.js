#!/usr/bin/env node
// Runs the built sandbox (dist/ is written by `tsc -b` at `npm install` time via the root `prepare` script).
import "../dist/main.js";
