import { Deferred, Effect, Fiber, Result } from "effect"
import { describe, expect, test } from "vitest"
import * as GroupCommit from "../src/GroupCommit.ts"

/** A `run` that records each batch and waits for `release` before answering. */
const recorder = (failOn?: number) => {
  const batches: Array<ReadonlyArray<number>> = []
  return {
    batches,
    run: (release: Deferred.Deferred<void>) => (inputs: ReadonlyArray<number>) =>
      Effect.gen(function* () {
        batches.push(inputs)
        if (batches.length === 1) yield* Deferred.await(release)
        return inputs.map((n) => (n === failOn ? Result.fail(`operation ${n} failed`) : Result.succeed(n * 10)))
      }),
  }
}

describe("group commit", () => {
  test("an operation that finds the writer idle goes alone, at once", async () => {
    const result = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const seen: Array<ReadonlyArray<number>> = []
          const submit = yield* GroupCommit.make(
            { batchSizeMax: 10, queueLengthMax: 10, writers: 1 },
            (inputs: ReadonlyArray<number>) =>
              Effect.sync(() => {
                seen.push(inputs)
                return inputs.map((n) => Result.succeed(n + 1))
              }),
          )
          return [yield* submit(1), yield* submit(2), seen] as const
        }),
      ),
    )
    expect(result).toEqual([2, 3, [[1], [2]]])
  })

  test("operations arriving during a batch go together in the next, up to the bound, each answered with its own result", async () => {
    const { batches, run } = recorder()
    const results = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const release = yield* Deferred.make<void>()
          const submit = yield* GroupCommit.make({ batchSizeMax: 3, queueLengthMax: 100, writers: 1 }, run(release))
          const first = yield* Effect.forkChild(submit(0))
          yield* Effect.yieldNow
          const rest = yield* Effect.forkChild(Effect.all([1, 2, 3, 4, 5].map(submit), { concurrency: "unbounded" }))
          yield* Effect.yieldNow
          yield* Deferred.succeed(release, undefined)
          return [yield* Fiber.join(first), ...(yield* Fiber.join(rest))]
        }),
      ),
    )
    expect(results).toEqual([0, 10, 20, 30, 40, 50])
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5]])
  })

  test("an operation that fails, fails alone: its batch-mates get their results", async () => {
    const { batches, run } = recorder(2)
    const results = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const release = yield* Deferred.make<void>()
          const submit = yield* GroupCommit.make({ batchSizeMax: 2, queueLengthMax: 100, writers: 1 }, run(release))
          const all = yield* Effect.forkChild(
            Effect.all(
              [0, 1, 2, 3, 4].map((n) => Effect.result(submit(n))),
              { concurrency: "unbounded" },
            ),
          )
          yield* Effect.yieldNow
          yield* Deferred.succeed(release, undefined)
          return yield* Fiber.join(all)
        }),
      ),
    )
    expect(batches).toEqual([[0, 1], [2, 3], [4]])
    expect(results).toEqual([
      Result.succeed(0),
      Result.succeed(10),
      Result.fail("operation 2 failed"),
      Result.succeed(30),
      Result.succeed(40),
    ])
  })
})

describe("group commit under back-pressure", () => {
  test("past the queue's bound a caller waits for room, and one interrupted meanwhile offers nothing", async () => {
    const { batches, run } = recorder()
    const results = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const release = yield* Deferred.make<void>()
          const submit = yield* GroupCommit.make({ batchSizeMax: 10, queueLengthMax: 2, writers: 1 }, run(release))
          const first = yield* Effect.forkChild(submit(0))
          yield* Effect.yieldNow
          const queued = yield* Effect.forkChild(Effect.all([1, 2].map(submit), { concurrency: "unbounded" }))
          yield* Effect.yieldNow
          const waiting = yield* Effect.forkChild(submit(3))
          const abandoned = yield* Effect.forkChild(submit(4))
          yield* Effect.yieldNow
          yield* Fiber.interrupt(abandoned)
          const late = yield* Effect.forkChild(submit(5))
          yield* Effect.yieldNow
          yield* Deferred.succeed(release, undefined)
          return [
            yield* Fiber.join(first),
            ...(yield* Fiber.join(queued)),
            yield* Fiber.join(waiting),
            yield* Fiber.join(late),
          ]
        }),
      ),
    )
    expect(results).toEqual([0, 10, 20, 30, 50])
    expect(batches).toEqual([[0], [1, 2], [3, 5]])
  })

  test("an operation whose caller stopped waiting still runs in its batch", async () => {
    const { batches, run } = recorder()
    const results = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const release = yield* Deferred.make<void>()
          const submit = yield* GroupCommit.make({ batchSizeMax: 10, queueLengthMax: 10, writers: 1 }, run(release))
          const first = yield* Effect.forkChild(submit(0))
          yield* Effect.yieldNow
          const gone = yield* Effect.forkChild(submit(1))
          const kept = yield* Effect.forkChild(submit(2))
          yield* Effect.yieldNow
          yield* Fiber.interrupt(gone)
          yield* Deferred.succeed(release, undefined)
          return [yield* Fiber.join(first), yield* Fiber.join(kept)]
        }),
      ),
    )
    expect(results).toEqual([0, 20])
    expect(batches).toEqual([[0], [1, 2]])
  })
})

describe("group commit's batches in flight", () => {
  /**
   * Two writers gated by `overlapAfterMs`, batches of at most `batchSizeMax`, whose first batch is held
   * until `release`; `first` is that batch's operation (0), submitted and started.
   */
  const heldFirstBatch = (overlapAfterMs: number, batchSizeMax = 10) =>
    Effect.gen(function* () {
      const batches: Array<ReadonlyArray<number>> = []
      const release = yield* Deferred.make<void>()
      const firstStarted = yield* Deferred.make<void>()
      const submit = yield* GroupCommit.make(
        { batchSizeMax, queueLengthMax: 100, writers: 2, overlapAfterMs },
        (inputs: ReadonlyArray<number>) =>
          Effect.gen(function* () {
            batches.push(inputs)
            if (batches.length === 1) {
              yield* Deferred.succeed(firstStarted, undefined)
              yield* Deferred.await(release)
            }
            return inputs.map((n) => Result.succeed(n))
          }),
      )
      const first = yield* Effect.forkChild(submit(0))
      yield* Deferred.await(firstStarted)
      return { batches, release, submit, first }
    })

  test("a free writer waits for the batch in flight rather than start one beside it", async () => {
    const [whileHeld, batches] = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { batches, release, submit, first } = yield* heldFirstBatch(60_000)
          const rest = yield* Effect.forkChild(Effect.all([1, 2].map(submit), { concurrency: "unbounded" }))
          yield* Effect.sleep("50 millis")
          const whileHeld = [...batches]
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(first)
          yield* Fiber.join(rest)
          return [whileHeld, batches] as const
        }),
      ),
    )
    expect(whileHeld).toEqual([[0]])
    expect(batches).toEqual([[0], [1, 2]])
  })

  test("a full batch waiting starts beside the batch in flight", async () => {
    const whileHeld = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { batches, release, submit, first } = yield* heldFirstBatch(60_000, 2)
          const rest = yield* Effect.forkChild(Effect.all([1, 2, 3].map(submit), { concurrency: "unbounded" }))
          yield* Effect.sleep("50 millis")
          const whileHeld = [...batches]
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(first)
          yield* Fiber.join(rest)
          return whileHeld
        }),
      ),
    )
    expect(whileHeld).toEqual([[0], [1, 2]])
  })

  test("the next batch starts before the answers of the one before it are given", async () => {
    const events = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const events: Array<string> = []
          const release = yield* Deferred.make<void>()
          const submit = yield* GroupCommit.make(
            { batchSizeMax: 10, queueLengthMax: 100, writers: 2, overlapAfterMs: 60_000 },
            (inputs: ReadonlyArray<number>) =>
              Effect.gen(function* () {
                events.push(`batch ${inputs.join(",")} started`)
                if (inputs.includes(0)) yield* Deferred.await(release)
                return inputs.map((n) => Result.succeed(n))
              }),
          )
          const answered = (n: number) =>
            submit(n).pipe(Effect.tap(() => Effect.sync(() => events.push(`${n} answered`))))
          const first = yield* Effect.forkChild(answered(0))
          yield* Effect.yieldNow
          const rest = yield* Effect.forkChild(Effect.all([1, 2].map(answered), { concurrency: "unbounded" }))
          yield* Effect.yieldNow
          yield* Deferred.succeed(release, undefined)
          yield* Fiber.join(first)
          yield* Fiber.join(rest)
          return events
        }),
      ),
    )
    expect(events.slice(0, 2)).toEqual(["batch 0 started", "batch 1,2 started"])
    expect(events.indexOf("batch 1,2 started")).toBeLessThan(events.indexOf("0 answered"))
  })

  test("a batch held up past overlapAfterMs lets the next start beside it", async () => {
    const [results, batches] = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { batches, release, submit, first } = yield* heldFirstBatch(20)
          // Answered while the first batch is still held.
          const second = yield* submit(1)
          yield* Deferred.succeed(release, undefined)
          return [[yield* Fiber.join(first), second], batches] as const
        }),
      ),
    )
    expect(results).toEqual([0, 1])
    expect(batches).toEqual([[0], [1]])
  })
})

describe("group commit by key", () => {
  test("a writer takes no operation whose key another writer's batch holds: it goes in the batch after that one", async () => {
    const batches: Array<ReadonlyArray<string>> = []
    const results = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const release = yield* Deferred.make<void>()
          const submit = yield* GroupCommit.make(
            { batchSizeMax: 10, queueLengthMax: 100, writers: 2, overlapAfterMs: 0 },
            (inputs: ReadonlyArray<string>) =>
              Effect.gen(function* () {
                batches.push(inputs)
                if (batches.length === 1) yield* Deferred.await(release)
                return inputs.map((input) => Result.succeed(input.toUpperCase()))
              }),
            { keyOf: (input) => input.slice(0, 1), expired: () => undefined },
          )
          const first = yield* Effect.forkChild(submit("a1"))
          yield* Effect.yieldNow
          const rest = yield* Effect.forkChild(
            Effect.all(["a2", "b1", "a3", "b2"].map(submit), { concurrency: "unbounded" }),
          )
          yield* Effect.yieldNow
          yield* Effect.yieldNow
          const whileHeld = [...batches]
          yield* Deferred.succeed(release, undefined)
          return [whileHeld, [yield* Fiber.join(first), ...(yield* Fiber.join(rest))]] as const
        }),
      ),
    )
    // While "a" is in flight the idle writer takes only "b"'s; "a"'s follow in order once it is done.
    expect(results).toEqual([
      [["a1"], ["b1", "b2"]],
      ["A1", "A2", "B1", "A3", "B2"],
    ])
    expect(batches).toEqual([["a1"], ["b1", "b2"], ["a2", "a3"]])
  })
})

test("an input expired by the time a writer reaches it is answered with its failure, in no batch", async () => {
  const batches: Array<ReadonlyArray<string>> = []
  const results = await Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const release = yield* Deferred.make<void>()
        const submit = yield* GroupCommit.make(
          { batchSizeMax: 10, queueLengthMax: 100, writers: 2, overlapAfterMs: 0 },
          (inputs: ReadonlyArray<string>) =>
            Effect.gen(function* () {
              batches.push(inputs)
              if (batches.length === 1) yield* Deferred.await(release)
              return inputs.map((input) => Result.succeed(input.toUpperCase()))
            }),
          { keyOf: (input) => input.slice(0, 1), expired: (input) => (input.endsWith("x") ? "expired" : undefined) },
        )
        const first = yield* Effect.forkChild(submit("a1"))
        yield* Effect.yieldNow
        const rest = yield* Effect.forkChild(
          Effect.all(
            ["ax", "a2"].map((input) => Effect.result(submit(input))),
            { concurrency: "unbounded" },
          ),
        )
        yield* Effect.yieldNow
        yield* Deferred.succeed(release, undefined)
        return [yield* Fiber.join(first), ...(yield* Fiber.join(rest))]
      }),
    ),
  )
  expect(results).toEqual(["A1", Result.fail("expired"), Result.succeed("A2")])
  expect(batches).toEqual([["a1"], ["a2"]])
})
