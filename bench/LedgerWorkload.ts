import { PgLedgerStore } from "@tally/adapters"
import { Ledger } from "@tally/domain"
import { Context, Effect, Layer } from "effect"
import * as Database from "./Database.ts"

/**
 * The writes `floor.ts` and `parts-cost.ts` measure, as `cpu-per-operation.ts` makes them: half
 * top-ups with a ceiling, half spends, amounts 1..100, over 1,000 accounts seeded far from both
 * bounds, so every write applies (a write that failed would make a figure per write meaningless).
 */
export const accounts = 1_000
export const seedBalance = 1_000_000
export const ceiling = 10_000_000

/** Write `i`: a top-up when even, a spend when odd. */
export const writeOf = (i: number) => ({
  accountId: `a${i % accounts}`,
  delta: i % 2 === 0 ? 1 + (i % 100) : -(1 + (i % 100)),
})

/** Runs `operation(i)` for i in 0..operations-1, `clients` at a time. */
export const forEachOperation = <E, R>(
  operations: number,
  clients: number,
  operation: (i: number) => Effect.Effect<unknown, E, R>,
) =>
  Effect.forEach(
    Array.from({ length: operations }, (_, i) => i),
    operation,
    { concurrency: clients, discard: true },
  )

/**
 * The ledger on the migrated database at `url`, as shipped (the PostgreSQL store's defaults), for the
 * scope, with every account seeded: one connection for one client, as `cpu-per-operation.ts` gives
 * it, four (the store's writers) for more.
 */
export const seededLedger = (url: string, clients: number) =>
  Effect.gen(function* () {
    const pool = Database.storePool(url, clients === 1 ? 1 : 4)
    const context = yield* Layer.build(Ledger.layer.pipe(Layer.provide(PgLedgerStore.layer()), Layer.provide(pool)))
    const ledger = Context.get(context, Ledger)
    yield* forEachOperation(accounts, 16, (i) => ledger.topUp({ accountId: `a${i}`, amount: seedBalance }))
    return ledger
  })

/** Write `i` through `ledger`, with a key of its own when `keyed`. */
export const write = (ledger: Ledger["Service"], keyed: boolean) => (i: number) => {
  const { accountId, delta } = writeOf(i)
  const key = keyed ? { idempotencyKey: `op-${i}` } : {}
  return Effect.orDie(
    delta > 0
      ? ledger.topUp({ accountId, amount: delta, ceiling, ...key })
      : ledger.spend({ accountId, amount: -delta, ...key }),
  )
}
