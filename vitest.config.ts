import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // The failover suite needs a cluster of its own: `pnpm test:ha` (vitest.ha.config.ts).
    exclude: [...configDefaults.exclude, "test/ha/**"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
