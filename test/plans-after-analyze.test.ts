import { PgClient } from "@effect/sql-pg"
import { PgLedgerStore } from "@tally/adapters"
import { Ledger, LedgerStore } from "@tally/domain"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, expect, test } from "vitest"
import { countersOnceReported, growTables, type TableCounters } from "./support/TableCounters.ts"
import { createDatabase } from "./support/TestDatabase.ts"

/**
 * PostgreSQL plans a prepared statement for its parameters (a custom plan) on its first five
 * executions, then keeps one generic plan unless its estimate is dearer than the custom plans'. Once
 * ANALYZE has counted a grown `idempotency_keys` (autovacuum does, in any database that keeps its
 * default), the estimate of the keyed write's generic plan was the dearer, and PostgreSQL planned the
 * statement anew on every execution: 41% of its CPU in a 16-connection keyed run on one account
 * (`bench/PERFORMANCE.md`). The store's sessions keep the generic plan (`PgLedgerStore.sessionParameters`).
 * Here the store runs on one connection carrying them, the tables grow and are analyzed, and that
 * connection's own `pg_prepared_statements` says how each statement was planned. The tests run in
 * order, on one database.
 */
const grownBy = 20_000
const rounds = 12

let runtime: ManagedRuntime.ManagedRuntime<Ledger | LedgerStore | SqlClient.SqlClient, unknown>
beforeAll(async () => {
  const url = await createDatabase()
  const connection = PgClient.layer({
    url: Redacted.make(url),
    maxConnections: 1,
    startupParameters: PgLedgerStore.sessionParameters,
  })
  runtime = ManagedRuntime.make(
    Ledger.layer.pipe(Layer.provideMerge(PgLedgerStore.layer(PgLedgerStore.defaults)), Layer.provideMerge(connection)),
  )
})
afterAll(() => runtime?.dispose())

/** A lone keyed top-up, keyed top-ups on four accounts at once (one batch), then three on one account. */
const round = (name: string) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const ledger = yield* Ledger
      const topUp = (accountId: string, key: string) => ledger.topUp({ accountId, amount: 100, idempotencyKey: key })
      yield* topUp("lone", name)
      yield* Effect.all(
        ["a", "b", "c", "d"].map((account) => topUp(account, name)),
        { concurrency: "unbounded" },
      )
      yield* Effect.all(
        [1, 2, 3].map((i) => topUp("a", `${name}-${i}`)),
        { concurrency: "unbounded" },
      )
    }),
  )

interface Planned {
  readonly statement: string
  readonly generic_plans: bigint
  readonly custom_plans: bigint
}

const sql = <A>(body: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, body))

/** How the connection planned each text of a write (the lone write's and the batch's), by text. */
const writePlans = async () => {
  const rows = await sql(
    (s) => s<Planned>`SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE NOT from_sql`,
  )
  return new Map(
    rows
      .filter(({ statement }) => statement.includes("INSERT INTO entries"))
      .map((row) => [row.statement, { generic: Number(row.generic_plans), custom: Number(row.custom_plans) }]),
  )
}

test("the writes' statements are planned once, not on every execution, after ANALYZE counted the grown tables", async () => {
  for (let i = 0; i < rounds; i++) await round(`before-${i}`)
  await growTables(sql, grownBy, { holds: false })
  await sql((s) => s`ANALYZE`)
  const before = await writePlans()
  for (let i = 0; i < rounds; i++) await round(`after-${i}`)
  const after = await writePlans()
  // Every text ran before ANALYZE, so the connection had settled on how to plan each: the lone write's
  // on a new account (the first round's), on a known account, and the batch's.
  expect(before.size).toBe(3)
  expect(after.size).toBe(3)
  const plannedAfterAnalyze = [...after]
    .map(([statement, { generic, custom }]) => ({
      text: statement.trim().slice(0, 60),
      custom: custom - before.get(statement)!.custom,
      generic: generic - before.get(statement)!.generic,
    }))
    .filter(({ custom, generic }) => custom + generic > 0)
  // Each round runs the lone write's text once and the batch's twice: all on the plan kept.
  expect(plannedAfterAnalyze.map(({ custom, generic }) => ({ custom, generic }))).toEqual([
    { custom: 0, generic: expect.any(Number) },
    { custom: 0, generic: expect.any(Number) },
  ])
  expect(plannedAfterAnalyze.map(({ generic }) => generic).sort()).toEqual([rounds, 2 * rounds])
})

/**
 * Rows read so far from each table a write touches, by scanning and through an index, once the
 * store's backend has reported `entriesInserted` entries.
 */
const readsAfter = async (entriesInserted: number) => {
  const byTable = await countersOnceReported(
    sql,
    ["accounts", "entries", "idempotency_keys", "holds"],
    (counters) => Number(counters.get("entries")!.n_tup_ins) >= entriesInserted,
  )
  const count = (pick: (row: TableCounters) => bigint | null) =>
    Object.fromEntries([...byTable].map(([table, row]) => [table, Number(pick(row) ?? 0)]))
  return { scanned: count((row) => row.seq_tup_read), fetched: count((row) => row.idx_tup_fetch) }
}

const difference = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([table, n]) => [table, n - before[table]!]))

/** Each round inserts eight entries (the lone write, four accounts, three on one). */
const entriesPerRound = 8
/** Accounts with an entry each, written after the rounds' accounts: their entries are the newest. */
const newerAccounts = 5_000

/**
 * The plans of the foreign-key checks PostgreSQL runs for every write are cached per connection too,
 * made on the tables as they were: an `entries` of a few pages is cheaper to scan than to look up
 * in, and the check that an account's balance is its newest entry's running balance (at commit) went
 * on scanning it, for every write, as it grew: 13.5 million rows read for these 5,000 writes at
 * 4e41938, none with that foreign key dropped. The store's sessions plan no scan where an index finds
 * the rows.
 */
test("writes read no table whole, however the tables grew since their plans were made", async () => {
  const before = await readsAfter(2 * rounds * entriesPerRound)
  await runtime.runPromise(
    Effect.gen(function* () {
      const ledger = yield* Ledger
      yield* Effect.forEach(
        Array.from({ length: newerAccounts }, (_, i) => `newer-${i}`),
        (accountId) => ledger.topUp({ accountId, amount: 1 }),
        { concurrency: 64, discard: true },
      )
    }),
  )
  const after = await readsAfter(2 * rounds * entriesPerRound + newerAccounts)
  expect(difference(after.scanned, before.scanned)).toEqual({ accounts: 0, entries: 0, idempotency_keys: 0, holds: 0 })
})

test("the operators' listing by prefix reads the prefix's accounts, not the table, on the generic plan", async () => {
  await sql((s) => s`ANALYZE`)
  const listing = (prefix: string) =>
    runtime.runPromise(
      Effect.gen(function* () {
        const store = yield* LedgerStore
        return yield* store.accounts({ prefix, limit: 10 })
      }),
    )
  const read = (counters: { scanned: Record<string, number>; fetched: Record<string, number> }) =>
    counters.scanned.accounts! + counters.scanned.entries! + counters.fetched.accounts! + counters.fetched.entries!
  // A backend's report is waited for by the entries of a round: a round alone, then a round after
  // six listings (past the five executions a connection plans for their values).
  const entriesSoFar = 2 * rounds * entriesPerRound + newerAccounts
  const before = read(await readsAfter(entriesSoFar))
  await round("alone")
  const afterRound = read(await readsAfter(entriesSoFar + entriesPerRound))
  for (let i = 0; i < 6; i++) expect((await listing("lon")).map(({ accountId }) => accountId)).toEqual(["lone"])
  await round("listed")
  const afterListings = read(await readsAfter(entriesSoFar + 2 * entriesPerRound))
  // Each listing reads a few rows through the prefix's index entries (3 or 4 here); walking entries
  // newest first, or scanning accounts, would read thousands.
  expect(afterListings - afterRound - (afterRound - before)).toBeLessThan(6 * 10)
})
