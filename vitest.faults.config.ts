import { defineConfig } from "vitest/config"

/**
 * The long fault suite (`pnpm test:faults`): partitions, a stopped server, a full disk and a long
 * run, each against real processes of its own. One file at a time: each wants the machine's time.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
})
