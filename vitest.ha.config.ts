import { defineConfig } from "vitest/config"

/**
 * The failover suite (`pnpm test:ha`): one local HA cluster from `scripts/ha/cluster.sh` for the
 * whole run, and scenarios that break it one after another, so nothing runs in parallel.
 */
export default defineConfig({
  test: {
    include: ["test/ha/**/*.test.ts"],
    globalSetup: ["test/ha/clusterSetup.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
})
