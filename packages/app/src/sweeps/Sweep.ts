import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

/**
 * A pass the service repeats every `intervalMs` for as long as it runs: expiring holds and auto
 * top-up requests, running due refills. Each pass goes through the ledger's locked path, so any
 * number of processes may run it at once. A failed pass is logged and the next one tries again;
 * `report` logs what a pass did.
 */
export const layer = <A, E, R>(options: {
  readonly name: string
  readonly pass: Effect.Effect<A, E, R>
  readonly intervalMs: number
  readonly report: (done: A) => Effect.Effect<void>
}) =>
  Layer.effectDiscard(
    Effect.forkScoped(
      Effect.repeat(
        options.pass.pipe(
          Effect.flatMap(options.report),
          Effect.catchCause((cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.failCause(cause)
              : Effect.logWarning(`${options.name} failed`, cause),
          ),
        ),
        Schedule.spaced(`${options.intervalMs} millis`),
      ),
    ),
  )
