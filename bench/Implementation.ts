import type { Effect } from "effect"
import type { BenchRecord, ImplementationName } from "./BenchRecord.ts"
import type { Server } from "./Database.ts"
import type { Cell } from "./Workload.ts"

/** One way of keeping the ledger, run on one cell from a fresh start. */
export interface Implementation {
  readonly name: ImplementationName
  readonly run: (cell: Cell, server: Server) => Effect.Effect<BenchRecord, unknown>
}
