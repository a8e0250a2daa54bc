import * as Os from "node:os"
import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // The failover suite needs a cluster of its own: `pnpm test:ha` (vitest.ha.config.ts); the long
    // fault suite runs on its own: `pnpm test:faults` (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, "test/ha/**", "test/faults/**"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The end-to-end files mostly wait on the processes they start (one waits out the 30 s request
    // deadline): vitest's default of one worker per core but one would run them one by one on 2 cores.
    maxWorkers: Math.max(2, Os.availableParallelism() - 1),
  },
})
