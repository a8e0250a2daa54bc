import { Clock, Effect } from "effect"

/** The real clock moved `offsetMs` ahead: a process that sees deadlines as passed, without waiting. */
export const shiftedClock = (offsetMs: number): Clock.Clock => {
  const real = Clock.Clock.defaultValue()
  const now = () => real.currentTimeMillisUnsafe() + offsetMs
  return {
    currentTimeMillisUnsafe: now,
    currentTimeMillis: Effect.sync(now),
    currentTimeNanosUnsafe: () => BigInt(now()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now()) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => real.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: real.monotonicTimeNanos,
    sleep: (duration) => real.sleep(duration),
  }
}
