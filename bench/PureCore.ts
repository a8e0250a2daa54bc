import {
  type Amount,
  applySpend,
  applyTopUp,
  type Balance,
  type Ceiling,
  type Decision,
  exactSpend,
} from "@tally/domain"
import { Effect } from "effect"
import type { BenchRecord } from "./BenchRecord.ts"
import { fromMeasurement } from "./BenchRecord.ts"
import type { Run } from "./ClosedLoop.ts"
import type { Implementation } from "./Implementation.ts"
import * as Resources from "./Resources.ts"
import { type Cell, ceiling, operations, seedBalance } from "./Workload.ts"

/**
 * The pure core alone: decisions per second in a tight loop over the cell's accounts, with no
 * storage and no Effect. One thread decides, so the cell's client count does not apply. Timing each
 * decision would cost more than the decision, so latency is timed per chunk of decisions of equal
 * size, and a chunk's average stands for each of its decisions (percentiles come out the same).
 */
const chunkDecisions = 1_024

const decide = (cell: Cell, durationMs: number): { readonly run: Run; readonly violations: number } => {
  const balances = new Float64Array(cell.accounts).fill(seedBalance)
  const next = operations(cell.accounts, 0)
  const latencies: Array<number> = []
  let applied = 0
  let rejected = 0
  let violations = 0
  const startedMs = performance.now()
  const deadlineMs = startedMs + durationMs
  while (performance.now() < deadlineMs) {
    const chunkStartedMs = performance.now()
    for (let i = 0; i < chunkDecisions; i++) {
      const operation = next()
      const balance = balances[operation.account]! as Balance
      const decision: Decision =
        operation.kind === "top-up"
          ? applyTopUp(balance, operation.amount as Amount, ceiling as Ceiling)
          : applySpend(balance, operation.amount as Amount, exactSpend)
      if (decision.balanceAfter !== balance + decision.applied || decision.balanceAfter < 0) violations++
      if (decision._tag === "Rejected") rejected++
      else applied++
      balances[operation.account] = decision.balanceAfter
    }
    latencies.push((performance.now() - chunkStartedMs) / chunkDecisions)
  }
  const run: Run = {
    elapsedMs: performance.now() - startedMs,
    ops: latencies.length * chunkDecisions,
    applied,
    rejected,
    errors: 0,
    errorSamples: [],
    latenciesMs: Float64Array.from(latencies).sort(),
  }
  return { run, violations }
}

export const implementation: Implementation = {
  name: "pure-core",
  run: (cell, server) =>
    Effect.gen(function* () {
      decide(cell, cell.warmupMs)
      const [{ run, violations }, usage] = yield* Resources.measure(
        Effect.sync(() => decide(cell, cell.durationMs)),
        server.postmasterPid,
      )
      const audit = { violations, lostUpdates: null }
      const record: BenchRecord = fromMeasurement(cell, "pure-core", null, { run, usage, audit, lostCredits: 0 })
      return { ...record, lostCredits: null }
    }),
}
