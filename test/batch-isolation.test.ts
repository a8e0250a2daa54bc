import {
  type AccountId,
  type Balance,
  type Entry,
  Ledger,
  LedgerStore,
  Limits,
  type Metadata,
  noLinks,
  type Step,
} from "@tally/domain"
import { Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

/**
 * One operation never takes its batch down with it, and every value in range works in any mix.
 * One writer makes operations that arrive together share a batch (a locked transaction).
 */

const edgeBalances = [0, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Limits.balanceMax]

describe.each([
  ["batched", { writers: 1, soloWrites: false }],
  ["solo compare-and-swap", { writers: 1 }],
])("values of every size, %s", (name, options) => {
  let runtime: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  beforeAll(async () => {
    runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(await createDatabase(), 4, options))))
  })
  afterAll(() => runtime.dispose())
  const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
    runtime.runPromise(Effect.flatMap(Ledger, body))

  test("balances of 0, 2^31-1, 2^31, 2^32 and 2^53-1 are written together, and moved together", async () => {
    const ids = edgeBalances.map((_, i) => `${name.replace(/\W/g, "")}-edge-${i}`)
    const concurrently = <A, E>(effects: ReadonlyArray<Effect.Effect<A, E>>) =>
      Effect.all(effects, { concurrency: "unbounded" })
    const unit = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<void, unknown> => Effect.asVoid(effect)
    await run((l) =>
      concurrently(
        edgeBalances.map((balance, i) =>
          balance === 0
            ? unit(l.updateSettings({ accountId: ids[i]!, overdraftLimit: 2 ** 40 }))
            : unit(l.topUp({ accountId: ids[i]!, amount: balance })),
        ),
      ),
    )
    const spends = await run((l) =>
      concurrently(ids.map((accountId) => l.spend({ accountId, amount: 2 ** 31 + 7, mode: "available" }))),
    )
    expect(spends.map((s) => s.entry.balanceAfter)).toEqual(
      edgeBalances.map((balance, i) => (i === 0 ? -(2 ** 31 + 7) : Math.max(0, balance - (2 ** 31 + 7)))),
    )
    expect((await run((l) => l.audit)).violations).toEqual([])
  })
})

describe("an operation whose data PostgreSQL refuses", () => {
  let runtime: ManagedRuntime.ManagedRuntime<Ledger | LedgerStore, unknown>
  beforeAll(async () => {
    const store = pgStore(await createDatabase(), 4, { writers: 1, soloWrites: false })
    runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provideMerge(store)))
  })
  afterAll(() => runtime.dispose())

  /**
   * A step that slips past validation (as a bug would) with metadata jsonb cannot hold: only a
   * step given to the store directly can produce it, since the ledger refuses such input.
   */
  const unstorable =
    (accountId: string): Step<string> =>
    ({ state }) => {
      const entry: Entry = {
        accountId: accountId as AccountId,
        sequence: state.sequence + 1,
        kind: "top-up",
        decision: "Applied",
        requested: 1,
        amount: 1,
        balanceAfter: (state.balance + 1) as Balance,
        idempotencyKey: null,
        ...noLinks,
        metadata: { note: "nul \u0000 inside" } as Metadata,
        createdAt: new Date().toISOString(),
      }
      return { result: "written", state: { ...state, balance: entry.balanceAfter, sequence: entry.sequence }, entry }
    }

  test("fails alone, with InvalidRequest; every batch-mate is written", async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `isolated-${i}`)
    const results = await runtime.runPromise(
      Effect.gen(function* () {
        const ledger = yield* Ledger
        const store = yield* LedgerStore
        // Wait for a first write to occupy the one writer, so the rest arrive together as one batch.
        const first = yield* Effect.forkChild(ledger.topUp({ accountId: "isolated-first", amount: 1 }))
        const rest = yield* Effect.all(
          ids.map((accountId, i) =>
            Effect.result<unknown, unknown, never>(
              i === 5
                ? store.transact({ accountId: accountId as AccountId }, unstorable(accountId))
                : ledger.topUp({ accountId, amount: 10 + i }),
            ),
          ),
          { concurrency: "unbounded" },
        )
        yield* Fiber.join(first)
        return rest
      }),
    )
    expect(results.map((r) => r._tag)).toEqual(ids.map((_, i) => (i === 5 ? "Failure" : "Success")))
    expect(results[5]).toMatchObject({ failure: { _tag: "InvalidRequest" } })
    const balances = await runtime.runPromise(
      Effect.flatMap(Ledger, (l) => Effect.all(ids.map((accountId) => l.balance(accountId)))),
    )
    expect(balances).toEqual(ids.map((_, i) => (i === 5 ? 0 : 10 + i)))
    expect((await runtime.runPromise(Effect.flatMap(Ledger, (l) => l.audit))).violations).toEqual([])
  })
})

describe("writes that touch what an earlier write in the same batch wrote", () => {
  let runtime: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  beforeAll(async () => {
    const store = pgStore(await createDatabase(), 4, { writers: 1, soloWrites: false })
    runtime = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(store)))
  })
  afterAll(() => runtime.dispose())

  /** Runs `later` while a first write occupies the one writer, so they arrive, in order, as one batch. */
  const asOneBatch = (later: (ledger: Ledger["Service"]) => ReadonlyArray<Effect.Effect<unknown, unknown>>) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const ledger = yield* Ledger
        const first = yield* Effect.forkChild(ledger.topUp({ accountId: "occupies-the-writer", amount: 1 }))
        const results = yield* Effect.all(later(ledger).map(Effect.result), { concurrency: "unbounded" })
        yield* Fiber.join(first)
        return results
      }),
    )

  test("an entry is refunded, within its amount, by writes batched with the write that made it", async () => {
    const accountId = "refunded-in-batch"
    await runtime.runPromise(Effect.flatMap(Ledger, (l) => l.topUp({ accountId, amount: 100 })))
    const results = await asOneBatch((l) => [
      l.topUp({ accountId, amount: 50 }),
      l.refund({ accountId, sequence: 2, amount: 30 }),
      l.refund({ accountId, sequence: 2, amount: 30 }),
    ])
    expect(results.map((r) => r._tag)).toEqual(["Success", "Success", "Failure"])
    expect(results[2]).toMatchObject({ failure: { _tag: "RefundExceedsEntry", refundable: 20 } })
    expect((await runtime.runPromise(Effect.flatMap(Ledger, (l) => l.audit))).violations).toEqual([])
  })

  test("a hold is captured and released by writes batched with the write that placed it", async () => {
    const accountId = "held-in-batch"
    await runtime.runPromise(Effect.flatMap(Ledger, (l) => l.topUp({ accountId, amount: 100 })))
    const results = await asOneBatch((l) => [
      l.hold({ accountId, amount: 60, idempotencyKey: "h" }),
      l.capture({ accountId, holdId: 1, amount: 20, final: false, idempotencyKey: "c" }),
      l.release({ accountId, holdId: 1, idempotencyKey: "r" }),
    ])
    expect(results.map((r) => r._tag)).toEqual(["Success", "Success", "Success"])
    const balances = await runtime.runPromise(Effect.flatMap(Ledger, (l) => l.balances(accountId)))
    expect(balances).toEqual({ balance: 80, held: 0, available: 80, expiresNext: null })
    expect((await runtime.runPromise(Effect.flatMap(Ledger, (l) => l.audit))).violations).toEqual([])
  })
})
