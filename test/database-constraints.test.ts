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
        Effect.all([
          l.topUp({ accountId: "a", amount: 100 }),
          l.configureAutoTopUp({ accountId: "a", threshold: 100, amount: 500 }),
          l.spend({ accountId: "a", amount: 30 }),
          l.hold({ accountId: "a", amount: 20, idempotencyKey: "h" }),
          l.configureRefill({ accountId: "b", amount: 10, schedule: { period: "daily" } }),
          l.runDueRefills,
        ]),
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
      "an entry that does not start from the running balance of the entry before it",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at) VALUES ('a', 3, 'usage', 'Applied', -1, -1, 68, now())`,
    ],
    [
      "an account created with a balance no entry of it has",
      (sql: SqlClient.SqlClient) => sql`INSERT INTO accounts (account_id, balance, last_sequence) VALUES ('c', 5, 1)`,
    ],
    [
      "removing an entry",
      (sql: SqlClient.SqlClient) => sql`DELETE FROM entries WHERE account_id = 'a' AND sequence = 2`,
    ],
    ["emptying the entries", (sql: SqlClient.SqlClient) => sql`TRUNCATE entries CASCADE`],
    [
      "a second entry with the same sequence",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at) VALUES ('a', 2, 'usage', 'Applied', -1, -1, 99, now())`,
    ],
    [
      "credits held below zero",
      (sql: SqlClient.SqlClient) => sql`UPDATE accounts SET held = -1 WHERE account_id = 'a'`,
    ],
    [
      "a hold captured past what it reserves",
      (sql: SqlClient.SqlClient) => sql`UPDATE holds SET captured = amount + 1 WHERE account_id = 'a'`,
    ],
    [
      "a refund of an entry that does not exist",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, refund_of, created_at) VALUES ('a', 3, 'refund', 'Applied', -1, -1, 69, 7, now())`,
    ],
    [
      "a usage entry that adds credits",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at) VALUES ('a', 3, 'usage', 'Applied', 1, 1, 71, now())`,
    ],
    [
      "a second open auto top-up request on one account",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO auto_top_up_requests (account_id, request_id, status, amount, amount_configured, threshold,
              available_at_open, balance_at_open, opened_at, expires_at)
            VALUES ('a', 2, 'open', 500, 500, 100, 50, 70, now(), now() + interval '1 day')`,
    ],
    [
      "a completed auto top-up request that names no credit",
      (sql: SqlClient.SqlClient) =>
        sql`UPDATE auto_top_up_requests SET status = 'completed', resolved_at = now(), payment_reference = 'pi_1'
            WHERE account_id = 'a'`,
    ],
    [
      "an auto top-up request whose amount passes its ceiling",
      (sql: SqlClient.SqlClient) => sql`UPDATE auto_top_up_requests SET ceiling = 400 WHERE account_id = 'a'`,
    ],
    [
      "a refill period settled twice",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO refills (account_id, period_start, period_end, decision, created_at)
            SELECT account_id, period_start, period_end, 'Rejected', now() FROM refills WHERE account_id = 'b'`,
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
            sql`UPDATE accounts SET held = 25 WHERE account_id = 'a'`,
          ),
        ),
      ),
    )
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
      { accountId: "a", sequence: null, problem: "held 25 differs from the 20 its open holds reserve" },
    ])
  })
})
