import { Ledger } from "@tally/domain"
import { Deferred, Effect, Fiber, Layer, ManagedRuntime, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, expect, test } from "vitest"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * Group commit sends one batch at a time, but a batch held up does not hold up the others past
 * `overlapAfterMs`: here another process's transaction holds one account's row lock, and a write to
 * another account is answered while the first still waits for it.
 */
let url: string
let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
let other: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
beforeAll(async () => {
  url = await createDatabase()
  ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 4))))
  other = ManagedRuntime.make(pool(url, 2))
})
afterAll(() => Promise.all([ledger.dispose(), other.dispose()]))

/** Until a backend of this database waits for a lock. */
const someoneWaitsForALock = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ readonly waiting: number }>`
    SELECT count(*)::int AS waiting FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'`
  if (row!.waiting === 0) return yield* Effect.fail("nobody waits yet")
}).pipe(Effect.retry(Schedule.spaced("10 millis")))

test("a write to one account is answered while a batch on another waits for its row lock", async () => {
  await ledger.runPromise(
    Effect.flatMap(Ledger, (l) =>
      Effect.all([l.topUp({ accountId: "locked", amount: 10 }), l.topUp({ accountId: "free", amount: 10 })]),
    ),
  )
  const locked = await other.runPromise(Deferred.make<void>())
  const unlock = await other.runPromise(Deferred.make<void>())
  const holder = other.runFork(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.withTransaction(
        Effect.gen(function* () {
          yield* sql`SELECT 1 FROM accounts WHERE account_id = 'locked' FOR UPDATE`
          yield* Deferred.succeed(locked, undefined)
          yield* Deferred.await(unlock)
        }),
      )
    }),
  )
  await other.runPromise(Deferred.await(locked))
  const held = ledger.runFork(Effect.flatMap(Ledger, (l) => l.topUp({ accountId: "locked", amount: 1 })))
  await other.runPromise(someoneWaitsForALock)

  const free = await ledger.runPromise(Effect.flatMap(Ledger, (l) => l.topUp({ accountId: "free", amount: 1 })))
  const heldBeforeUnlock = held.pollUnsafe()
  await other.runPromise(Deferred.succeed(unlock, undefined))
  await other.runPromise(Fiber.join(holder))
  const heldAfter = await ledger.runPromise(Fiber.join(held))

  expect(free.entry.balanceAfter).toBe(11)
  expect(heldBeforeUnlock).toBeUndefined()
  expect(heldAfter.entry.balanceAfter).toBe(11)
})
