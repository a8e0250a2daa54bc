import { Effect } from "effect"
import * as ClosedLoop from "./ClosedLoop.ts"
import { checkpoint, type Server } from "./Database.ts"
import * as Resources from "./Resources.ts"
import { type Cell, type Operation, type Outcome, seedBalance } from "./Workload.ts"

/** An implementation prepared for one cell: seeded, ready to take operations, and able to check itself. */
export interface Target {
  readonly execute: (operation: Operation) => Effect.Effect<Outcome, unknown>
  /** The stored balance of every account, after the run. */
  readonly balances: Effect.Effect<ReadonlyMap<string, number>, unknown>
  readonly audit: Effect.Effect<TargetAudit, unknown>
  /** Told when the measured phase starts and stops, so diagnostics count only what it does. */
  readonly measuring?: { readonly start: () => void; readonly stop: () => void }
}

export interface TargetAudit {
  readonly violations: number
  /** Writes made on a stale balance, where the implementation can tell; null where it cannot. */
  readonly lostUpdates: number | null
}

export interface Measurement {
  readonly run: ClosedLoop.Run
  readonly usage: Resources.Usage
  readonly audit: TargetAudit
  /**
   * Sum over accounts of |seed + credits reported as applied - stored balance|: what the callers
   * were told moved but the store does not hold (or the reverse). Zero when no update was lost.
   */
  readonly lostCredits: number
}

/** Warms the target up, measures it for the cell's duration, then audits it. */
export const drive = (cell: Cell, ids: ReadonlyArray<string>, target: Target, server: Server) =>
  Effect.gen(function* () {
    const appliedByAccount = new Float64Array(cell.accounts)
    const loop = { accounts: cell.accounts, clients: cell.clients, execute: target.execute, appliedByAccount }
    yield* ClosedLoop.run({ ...loop, durationMs: cell.warmupMs, phase: 0 })
    yield* checkpoint(server)
    target.measuring?.start()
    const [run, usage] = yield* Resources.measure(
      ClosedLoop.run({ ...loop, durationMs: cell.durationMs, phase: 1 }),
      server.postmasterPid,
    )
    target.measuring?.stop()
    const audit = yield* target.audit
    const balances = yield* target.balances
    let lostCredits = 0
    ids.forEach((id, i) => {
      lostCredits += Math.abs(seedBalance + appliedByAccount[i]! - (balances.get(id) ?? 0))
    })
    return { run, usage, audit, lostCredits } satisfies Measurement
  })
