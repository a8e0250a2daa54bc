import { Ledger } from "@tally/domain"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Sweep from "./Sweep.ts"

/**
 * The service's expiry of pending credits: every `intervalMs` it expires those whose deadline has
 * passed (`Ledger.expirePendingCredits`, through the same locked path as activations and voids).
 */

/** A pending credit past its deadline reads as pending at most this long (plus a pass's own time) unless touched. */
export const intervalMs = 1_000

export const layer = Layer.unwrap(
  Effect.map(Ledger, (ledger) =>
    Sweep.layer({
      name: "expiring pending credits",
      pass: ledger.expirePendingCredits,
      intervalMs,
      report: ({ expired }) =>
        expired === 0 ? Effect.void : Effect.logInfo("expired pending credits").pipe(Effect.annotateLogs({ expired })),
    }),
  ),
)
