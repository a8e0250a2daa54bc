import { Ledger } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createDatabase, pgStore, pool } from "./support/TestDatabase.ts"

/** The database re-checks what the core guarantees, and the audit finds what slips past both. */
describe("PostgreSQL as a second line of defence", () => {
  let ledger: ManagedRuntime.ManagedRuntime<Ledger, unknown>
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    const url = await createDatabase()
    ledger = ManagedRuntime.make(Ledger.layer.pipe(Layer.provide(pgStore(url))))
    admin = ManagedRuntime.make(pool(url, 1))
    await ledger.runPromise(
      Effect.flatMap(Ledger, (l) =>
        Effect.all([l.topUp({ accountId: "a", amount: 100 }), l.spend({ accountId: "a", amount: 30 })]),
      ),
    )
  })
  afterAll(() => Promise.all([ledger.dispose(), admin.dispose()]))

  const sqlFails = (statement: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>) =>
    admin.runPromise(Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.flip(sql.withTransaction(statement(sql)))))

  test.each([
    [
      "a stored balance that is not the newest running balance",
      (sql: SqlClient.SqlClient) => sql`UPDATE accounts SET balance = 71 WHERE account_id = 'a'`,
    ],
    [
      "an entry whose running balance breaks the chain",
      (sql: SqlClient.SqlClient) => sql`UPDATE entries SET balance_after = 69 WHERE account_id = 'a' AND sequence = 2`,
    ],
    [
      "an entry that moves more than was requested",
      (sql: SqlClient.SqlClient) =>
        sql`UPDATE entries SET amount = -40, balance_after = 60 WHERE account_id = 'a' AND sequence = 2`,
    ],
    [
      "a second entry with the same sequence",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at) VALUES ('a', 2, 'usage', 'Applied', -1, -1, 99, now())`,
    ],
    [
      "a balance below the floor",
      (sql: SqlClient.SqlClient) => sql`UPDATE accounts SET balance = -1 WHERE account_id = 'a'`,
    ],
  ])("refuses %s", async (_, statement) => {
    const error = await sqlFails(statement)
    expect(error).toMatchObject({ _tag: "SqlError" })
    expect(await ledger.runPromise(Effect.flatMap(Ledger, (l) => l.balance("a")))).toBe(70)
  })

  test("the audit reports drift written past the constraints", async () => {
    await admin.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(
          Effect.andThen(
            sql`SET LOCAL session_replication_role = replica`,
            sql`UPDATE accounts SET balance = 75 WHERE account_id = 'a'`,
          ),
        ),
      ),
    )
    const report = await ledger.runPromise(Effect.flatMap(Ledger, (l) => l.audit))
    expect(report.violations).toEqual([
      { accountId: "a", sequence: null, problem: "stored balance 75 differs from the running balance 70" },
    ])
  })
})
