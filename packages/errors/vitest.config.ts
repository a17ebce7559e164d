import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Resolve workspace packages to their src through the custom condition, so tests need no build.
  ssr: { resolve: { conditions: ["@podium-router/source", ...defaultServerConditions] } },
  test: {
    include: ["src/**/*.spec.ts", "test/**/*.spec.ts"],
    // `nx test` runs plain `vitest`; without this it would enter watch mode in a terminal.
    watch: false,
    passWithNoTests: true,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
