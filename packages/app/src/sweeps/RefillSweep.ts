import { Ledger } from "@tally/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Sweep from "./Sweep.ts"

/**
 * The service's periodic refills: every `intervalMs` it runs the refills that are due
 * (`Ledger.runDueRefills`), each once per account and period, whichever process gets there first.
 * `tally refill --due` runs one pass, for a cron when no service runs.
 */

/** A refill comes at most this long after its period begins, or after its settings are first set. */
export const intervalMs = 5_000

export const layer = Layer.unwrap(
  Effect.map(Ledger, (ledger) =>
    Sweep.layer({
      name: "running due refills",
      pass: ledger.runDueRefills,
      intervalMs,
      report: ({ refilled, atCeiling }) =>
        refilled + atCeiling === 0
          ? Effect.void
          : Effect.logInfo("ran due refills").pipe(Effect.annotateLogs({ refilled, atCeiling })),
    }),
  ),
)
