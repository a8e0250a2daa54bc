import { Ledger } from "@tally/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Sweep from "./Sweep.ts"

/**
 * The service's expiry of holds: every `intervalMs` it releases the holds whose deadline has passed
 * (`Ledger.expireHolds`, through the same locked path as captures and releases).
 */

/** A hold past its deadline counts as held at most this long (plus a pass's own time) unless touched. */
export const intervalMs = 1_000

export const layer = Layer.unwrap(
  Effect.map(Ledger, (ledger) =>
    Sweep.layer({
      name: "expiring holds",
      pass: ledger.expireHolds,
      intervalMs,
      report: ({ expired }) =>
        expired === 0 ? Effect.void : Effect.logInfo("expired holds").pipe(Effect.annotateLogs({ expired })),
    }),
  ),
)
