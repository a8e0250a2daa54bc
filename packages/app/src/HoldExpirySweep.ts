import { Ledger } from "@tally/domain"
import { Cause, Effect, Layer, Schedule } from "effect"

/**
 * The service's expiry of holds: every `intervalMs` it releases the holds whose deadline has passed
 * (`Ledger.expireHolds`, through the same locked path as captures and releases, so any number of
 * processes may run it at once). A failed pass is logged and the next one tries again.
 */

/** A hold past its deadline counts as held at most this long (plus a pass's own time) unless touched. */
export const intervalMs = 1_000

export const layer = Layer.effectDiscard(
  Effect.gen(function* () {
    const ledger = yield* Ledger
    const pass = ledger.expireHolds.pipe(
      Effect.tap(({ expired }) =>
        expired === 0 ? Effect.void : Effect.logInfo("expired holds").pipe(Effect.annotateLogs({ expired })),
      ),
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : Effect.logWarning("expiring holds failed", cause),
      ),
    )
    yield* Effect.forkScoped(Effect.repeat(pass, Schedule.spaced(`${intervalMs} millis`)))
  }),
)
