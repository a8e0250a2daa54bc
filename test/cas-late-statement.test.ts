import { Ledger } from "@tally/domain"
import { Deferred, Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import * as FaultProxy from "./support/FaultProxy.ts"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * A compare-and-swap statement takes no lock before it runs, and a server runs a statement it has
 * received even when its client has since closed the connection. So a statement whose connection is
 * cut right after it was sent may run only after the ledger looked it up and found nothing: the
 * lookup must make sure it then writes nothing, or the write that follows the lookup applies it twice.
 *
 * The statement is held back on the server deterministically: a session holds the entries table
 * (ACCESS EXCLUSIVE), which the statement needs before it touches any row, until the lookup waits
 * for that table too (after it has locked the account); then both go on.
 */
/**
 * Locks `table` from the admin pool until the returned function runs (it resolves once the lock is let
 * go): writes that need the table wait at that statement.
 */
const lockTable = async (
  admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>,
  table: "entries" | "holds",
) => {
  const locked = Effect.runSync(Deferred.make<void>())
  const release = Effect.runSync(Deferred.make<void>())
  const holder = admin.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.gen(function* () {
        yield* sql.unsafe(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`)
        yield* Deferred.succeed(locked, undefined)
        yield* Deferred.await(release)
      }).pipe(sql.withTransaction),
    ),
  )
  await Effect.runPromise(Deferred.await(locked))
  return async () => {
    await Effect.runPromise(Deferred.succeed(release, undefined))
    await holder
  }
}

/** Backends of this database waiting for a table's lock. */
const waitingForTables = (admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>) =>
  admin.runPromise(
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) => sql<{ waiting: bigint }>`
        SELECT count(*) AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'relation'`,
    ).pipe(Effect.map(([row]) => Number(row?.waiting ?? 0))),
  )

describe("a compare-and-swap statement that runs on the server only after its lookup", () => {
  let proxy: FaultProxy.FaultProxy
  let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    const url = new URL(await createDatabase())
    admin = ManagedRuntime.make(pool(url.toString(), 2))
    proxy = await FaultProxy.start({ host: url.hostname, port: Number(url.port) })
    url.port = String(proxy.port)
    ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url.toString(), 4))))
  })
  afterAll(async () => {
    await Promise.all([ledger?.dispose(), admin?.dispose()])
    await proxy?.close()
  })

  const run = <A, E>(body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
    ledger.runPromise(Effect.flatMap(Ledger, body))

  test.each([
    [true, false],
    [false, false],
    [false, true],
  ])("is not applied twice (keyed: %s, on a new account: %s)", async (keyed, fresh) => {
    const accountId = `late-${keyed}-${fresh}`
    // Written once, so the next write is decided on the account as it stands: one statement, the one
    // cut. A new account is decided as having no row, and its statement creates it.
    if (!fresh) await run((l) => l.topUp({ accountId, amount: 1000 }))
    const unlock = await lockTable(admin, "entries")
    const cutsBefore = proxy.cuts()
    proxy.arm({ deliver: true, match: FaultProxy.isCompareAndSwap })
    const key = keyed ? { idempotencyKey: "late-1" } : {}
    const write = run((l) =>
      fresh ? l.topUp({ accountId, amount: 700, ...key }) : l.spend({ accountId, amount: 300, ...key }),
    )
    // The statement waits for the table; the lookup, once it has locked the account, waits for it too.
    const until = Date.now() + 20_000
    while ((await waitingForTables(admin)) < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
    expect(await waitingForTables(admin)).toBeGreaterThanOrEqual(2)
    await unlock()
    const posting = await write
    expect(proxy.cuts()).toBe(cutsBefore + 1)
    const sequence = fresh ? 1 : 2
    expect(posting.entry).toMatchObject({ sequence, amount: fresh ? 700 : -300, balanceAfter: 700 })
    // The statement held back, if it is still to run, finds the account moved on.
    await new Promise((r) => setTimeout(r, 200))
    const { entries } = await run((l) => l.entries({ accountId }))
    expect(entries.map((e) => e.sequence)).toEqual(fresh ? [1] : [2, 1])
    expect(entries[0]).toEqual(posting.entry)
    expect(await run((l) => l.balance(accountId))).toBe(700)
    expect((await run((l) => l.audit)).violations).toEqual([])
  })
})

/**
 * A keyed rule rejection on an account that has no row is recorded by the compare-and-swap statement
 * without any row lock (there is no row to lock). A locked batch that loaded the same key a moment
 * earlier (finding none) then meets the record when it inserts its own: it must decide again (and
 * replay the record), not fail its batch as if storage had failed.
 */
describe("a key recorded by a compare-and-swap statement on an account with no row, under a locked batch", () => {
  let url: string
  let locked: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  let cas: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    url = await createDatabase()
    admin = ManagedRuntime.make(pool(url, 2))
    locked = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 4, { soloWrites: false }))))
    cas = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 4))))
  })
  afterAll(async () => {
    await Promise.all([locked?.dispose(), cas?.dispose(), admin?.dispose()])
  })

  test("is replayed by the locked batch, whose other writes land", async () => {
    const on = <A, E>(ledger: typeof locked, body: (l: Ledger["Service"]) => Effect.Effect<A, E>) =>
      ledger.runPromise(Effect.flatMap(Ledger, body))
    const other = "key-race-holder"
    await on(locked, (l) => l.topUp({ accountId: other, amount: 100 }))
    // The locked batch waits for the holds table in its write, after it loaded its keys.
    const unlock = await lockTable(admin, "holds")
    const request = { accountId: "key-race", amount: 50, idempotencyKey: "race-1" }
    // One batch: the keyed spend on the account with no row, and a hold on another account.
    const batch = Promise.all([
      locked.runPromiseExit(Effect.flatMap(Ledger, (l) => l.spend(request))),
      locked.runPromiseExit(
        Effect.flatMap(Ledger, (l) => l.hold({ accountId: other, amount: 10, idempotencyKey: "h" })),
      ),
    ])
    const until = Date.now() + 20_000
    while ((await waitingForTables(admin)) < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
    expect(await waitingForTables(admin)).toBe(1)
    // Meanwhile the same request through a compare-and-swap statement: refused, and its key recorded.
    const first = await on(cas, (l) => Effect.flip(l.spend(request)))
    expect(first).toMatchObject({ _tag: "InsufficientCredits" })
    await unlock()
    const [spend, hold] = await batch
    expect(spend).toMatchObject({ _tag: "Failure" })
    expect(JSON.stringify(spend)).toContain("InsufficientCredits")
    expect(hold).toMatchObject({ _tag: "Success", value: { hold: { holdId: 1, amount: 10 } } })
    expect(await on(locked, (l) => l.balances(other))).toEqual({
      balance: 100,
      held: 10,
      available: 90,
      expiresNext: null,
    })
  })
})
