import { Deferred, Effect, Fiber, Option, Semaphore } from "effect"
import { describe, expect, test } from "vitest"
import * as PgRequestDeadline from "../src/PgRequestDeadline.ts"

/** A deadline whose stages take `stageMs` and whose answer is due `answerInMs` from now. */
const deadline = (answerInMs: number, stageMs: number): PgRequestDeadline.Deadline => ({
  answerBy: performance.now() + answerInMs,
  stageMs,
})

const within = <A, E>(effect: Effect.Effect<A, E>, due: PgRequestDeadline.Deadline) =>
  Effect.provideService(effect, PgRequestDeadline.PgRequestDeadline, due)

/**
 * Runs `body` while the only turn at a gate is held by a stage a stopped server keeps, until `release`;
 * then lets the holder end.
 */
const whileTurnHeld = <A>(
  body: (
    stage: ReturnType<typeof PgRequestDeadline.stageAt>,
    gate: Semaphore.Semaphore,
    release: Effect.Effect<boolean>,
  ) => Effect.Effect<A, unknown>,
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const gate = Semaphore.makeUnsafe(1)
      const stage = PgRequestDeadline.stageAt(gate)
      const held = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(within(stage(Deferred.await(held)), deadline(60_000, 1_000)))
      yield* Effect.yieldNow
      const result = yield* body(stage, gate, Deferred.succeed(held, undefined))
      yield* Deferred.succeed(held, undefined)
      yield* Fiber.join(holder)
      return result
    }),
  )

describe("a stage's turn at the pool's gate", () => {
  test("a stage that finds every turn taken gives up once a whole stage no longer fits, having run nothing", async () => {
    let ran = false
    const outcome = await whileTurnHeld((stage) =>
      Effect.gen(function* () {
        const startedMs = performance.now()
        const error = yield* Effect.flip(within(stage(Effect.sync(() => (ran = true))), deadline(1_300, 1_000)))
        return { error, waitedMs: performance.now() - startedMs }
      }),
    )
    expect(PgRequestDeadline.isSpent(outcome.error)).toBe(true)
    expect(ran).toBe(false)
    // It waited for the time a stage could still start (300 ms), not for the holder's turn to end.
    expect(outcome.waitedMs).toBeGreaterThanOrEqual(250)
    expect(outcome.waitedMs).toBeLessThan(1_000)
  })

  test("a stage that waits takes the turn freed in time and runs; every turn is returned after", async () => {
    const result = await whileTurnHeld((stage, gate, release) =>
      Effect.gen(function* () {
        const waiter = yield* Effect.forkChild(within(stage(Effect.succeed("ran")), deadline(5_000, 1_000)))
        yield* Effect.sleep("50 millis")
        yield* release
        const answer = yield* Fiber.join(waiter)
        return { answer, gate }
      }),
    )
    expect(result.answer).toBe("ran")
    // The holder ended too: both turns came back.
    const free = await Effect.runPromise(result.gate.withPermitsIfAvailable(1)(Effect.succeed("free")))
    expect(Option.getOrUndefined(free)).toBe("free")
  })
})
