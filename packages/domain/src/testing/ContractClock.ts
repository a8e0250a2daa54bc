import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/**
 * A clock that runs with the real one, moved forward on demand, so contract tests can pass a hold's
 * deadline or spread entries over hours without waiting. Sleeping and elapsed time stay real.
 */
export interface ContractClock {
  readonly clock: Clock.Clock
  readonly advance: (ms: number) => void
  readonly nowMs: () => number
}

export const make = (): ContractClock => {
  const real = Clock.Clock.defaultValue()
  let offsetMs = 0
  const nowMs = () => real.currentTimeMillisUnsafe() + offsetMs
  const nowNanos = () => real.currentTimeNanosUnsafe() + BigInt(offsetMs) * 1_000_000n
  return {
    clock: {
      currentTimeMillisUnsafe: nowMs,
      currentTimeMillis: Effect.sync(nowMs),
      currentTimeNanosUnsafe: nowNanos,
      currentTimeNanos: Effect.sync(nowNanos),
      monotonicTimeNanosUnsafe: () => real.monotonicTimeNanosUnsafe(),
      monotonicTimeNanos: real.monotonicTimeNanos,
      sleep: (duration) => real.sleep(duration),
    },
    advance: (ms) => {
      offsetMs += ms
    },
    nowMs,
  }
}
