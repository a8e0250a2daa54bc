import { Cause, Effect, Exit } from "effect"
import { type Operation, type Outcome, operations } from "./Workload.ts"

/**
 * A closed loop: each client sends its next operation when the previous one returned, until the
 * time is up. Latency is wall time around each call, taken with `performance.now()`.
 */

export interface Run {
  readonly elapsedMs: number
  readonly ops: number
  readonly applied: number
  readonly rejected: number
  readonly errors: number
  /** The first few distinct failure messages. */
  readonly errorSamples: ReadonlyArray<string>
  /** Sorted ascending, in ms. */
  readonly latenciesMs: Float64Array
}

const errorSamplesMax = 3

export const percentile = (sorted: Float64Array, p: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

export interface Options {
  readonly accounts: number
  readonly clients: number
  readonly durationMs: number
  readonly execute: (operation: Operation) => Effect.Effect<Outcome, unknown>
  /** Credits each account gained or lost through operations reported as applied; updated in place. */
  readonly appliedByAccount: Float64Array
  /** Offsets the clients' generators, so a warm-up and the measured phase send different operations. */
  readonly phase: number
}

export const run = (options: Options): Effect.Effect<Run> =>
  Effect.gen(function* () {
    const latencies: Array<number> = []
    const errorSamples = new Set<string>()
    let applied = 0
    let rejected = 0
    let errors = 0
    const startedMs = performance.now()
    const deadlineMs = startedMs + options.durationMs

    const client = (index: number) =>
      Effect.gen(function* () {
        const next = operations(options.accounts, options.phase * 1_000 + index)
        while (performance.now() < deadlineMs) {
          const operation = next()
          const sentMs = performance.now()
          const exit = yield* Effect.exit(options.execute(operation))
          latencies.push(performance.now() - sentMs)
          if (Exit.isFailure(exit)) {
            errors++
            if (errorSamples.size < errorSamplesMax) errorSamples.add(Cause.pretty(exit.cause).split("\n")[0]!)
          } else if (exit.value._tag === "Rejected") {
            rejected++
          } else {
            applied++
            options.appliedByAccount[operation.account]! += exit.value.amount
          }
        }
      })

    yield* Effect.forEach(
      Array.from({ length: options.clients }, (_, i) => i),
      client,
      { concurrency: "unbounded", discard: true },
    )
    return {
      elapsedMs: performance.now() - startedMs,
      ops: latencies.length,
      applied,
      rejected,
      errors,
      errorSamples: [...errorSamples],
      latenciesMs: Float64Array.from(latencies).sort(),
    }
  })
