import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, expect, test } from "vitest"
import { countersOnceReported, growTables } from "./support/TableCounters.ts"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/**
 * A connection keeps the plan it made for a statement on its first executions. Made on a fresh
 * database, where every table is small, a plan that joins the batch to a table by hashing reads the
 * whole table, and keeps reading the whole table in every write as the table grows (until an
 * ANALYZE, which a database without autovacuum never runs). Here the writes' plans are made on a
 * fresh database, the tables then grow by 20,000 rows each, and PostgreSQL's own counters say how
 * many rows the next writes read by scanning: none of those tables may be read whole.
 */
const grownBy = 20_000
const rounds = 8

let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
beforeAll(async () => {
  const url = await createDatabase()
  // One connection: every statement of the store runs on it, with the plans it made.
  ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url, 1))))
  admin = ManagedRuntime.make(pool(url, 1))
})
afterAll(async () => {
  await ledger?.dispose()
  await admin?.dispose()
})

const sql = <A>(body: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  admin.runPromise(Effect.flatMap(SqlClient.SqlClient, body))

/** A round of every lookup by key: keyed writes batched on four accounts, a keyed hold and its capture. */
const round = (name: string) =>
  ledger.runPromise(
    Effect.gen(function* () {
      const l = yield* Ledger
      yield* Effect.all(
        ["a", "b", "c", "d"].map((account) => l.topUp({ accountId: account, amount: 100, idempotencyKey: name })),
        { concurrency: "unbounded" },
      )
      const { hold } = yield* l.hold({ accountId: "a", amount: 10, idempotencyKey: `hold-${name}` })
      yield* l.capture({
        accountId: "a",
        holdId: hold.holdId,
        amount: 5,
        final: true,
        idempotencyKey: `capture-${name}`,
      })
    }),
  )

/** The tables' counters, once PostgreSQL has counted `keysInserted` keys. */
const countersAfter = (keysInserted: bigint) =>
  countersOnceReported(
    sql,
    ["accounts", "idempotency_keys", "holds"],
    (byTable) => BigInt(byTable.get("idempotency_keys")!.n_tup_ins) >= keysInserted,
  )

test("writes find their rows by key however much the tables grew after their plans were made", async () => {
  for (let i = 0; i < rounds; i++) await round(`before-${i}`)
  await growTables(sql, grownBy, { holds: true })
  // Each round records six keys: four top-ups, the hold and the capture.
  const before = await countersAfter(BigInt(rounds * 6 + grownBy))
  for (let i = 0; i < rounds; i++) await round(`after-${i}`)
  const after = await countersAfter(BigInt(2 * rounds * 6 + grownBy))
  const scanned = Object.fromEntries(
    [...after].map(([table, row]) => [table, Number(row.seq_tup_read - before.get(table)!.seq_tup_read)]),
  )
  expect(scanned).toEqual({ accounts: 0, idempotency_keys: 0, holds: 0 })
})
