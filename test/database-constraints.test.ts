import { Ledger } from "@tally/domain"
import { Deferred, Effect, Exit, Layer, ManagedRuntime, Schedule } from "effect"
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

  /**
   * An entry's references, checked once per statement with the chain (migrations 16 and 17): each
   * refusal is one rule broken and every other kept, and names its rule as a foreign key's name would.
   */
  const newEntry = (sequence: number, kind: string, amount: number, balanceAfter: number, refundOf = "NULL") =>
    `INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, refund_of, created_at)
     VALUES ('a', ${sequence}, '${kind}', 'Applied', ${amount}, ${amount}, ${balanceAfter}, ${refundOf}, now())`
  test.each([
    [
      "an entry of an account that does not exist",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at) VALUES ('zed', 1, 'top-up', 'Applied', 5, 5, 5, now())`,
      "entries_account",
    ],
    [
      "an entry written apart from its account's new balance",
      (sql: SqlClient.SqlClient) => sql.unsafe(newEntry(3, "usage", -1, 69)),
      "entries_account",
    ],
    [
      "a refund of an entry that does not exist",
      (sql: SqlClient.SqlClient) =>
        sql.unsafe(`WITH e AS (${newEntry(3, "refund", -1, 69, "0")})
          UPDATE accounts SET balance = 69, last_sequence = 3 WHERE account_id = 'a'`),
      "entries_refund_of",
    ],
    [
      "removing an account that has entries",
      (sql: SqlClient.SqlClient) => sql`DELETE FROM accounts WHERE account_id = 'a'`,
      "entries_account",
    ],
    [
      "renaming an account that has entries",
      (sql: SqlClient.SqlClient) => sql`UPDATE accounts SET account_id = 'a2' WHERE account_id = 'a'`,
      "entries_account",
    ],
    [
      "emptying the accounts while they have entries",
      (sql: SqlClient.SqlClient) => sql`TRUNCATE accounts CASCADE`,
      "entries_account",
    ],
    [
      "an idempotency record that names no entry",
      (sql: SqlClient.SqlClient) =>
        sql`INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence) VALUES ('a', 'k9', 'f', 9)`,
      "idempotency_keys_entry",
    ],
    [
      "an idempotency record pointed at no entry",
      (sql: SqlClient.SqlClient) =>
        sql`UPDATE idempotency_keys SET entry_sequence = 9 WHERE account_id = 'a' AND idempotency_key = 'h'`,
      "idempotency_keys_entry",
    ],
  ])("refuses %s, naming the rule", async (_, statement, constraint) => {
    const error = await sqlFails(statement)
    expect(error).toMatchObject({ _tag: "SqlError", reason: { cause: { code: "23503", constraint } } })
    expect(await ledger.runPromise(Effect.flatMap(Ledger, (l) => l.balance("a")))).toBe(70)
  })

  test("takes a refund of an entry that exists, written with its account's new balance", async () => {
    const exit = await admin.runPromiseExit(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(
          Effect.andThen(
            sql.unsafe(`WITH e AS (${newEntry(3, "refund", -1, 69, "1")})
              UPDATE accounts SET balance = 69, last_sequence = 3 WHERE account_id = 'a'`),
            Effect.fail("taken, then rolled back" as const),
          ),
        ),
      ),
    )
    expect(exit).toEqual(Exit.fail("taken, then rolled back"))
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

/**
 * The removal of an account that has entries is refused without foreign keys' row locks (migration 17):
 * whoever adds an entry writes the account's row in the same statement and holds its lock, so a removal
 * waits for that commit and then sees the entry (READ COMMITTED), or cannot serialize (SERIALIZABLE).
 */
describe.each([
  ["read committed", "23503"],
  ["serializable", "40001"],
] as const)("an account removed while an entry of it is being written, at %s", (isolation, code) => {
  test(`the removal waits for the entry's commit, then fails with ${code}; the entry and its account stay`, async () => {
    const url = await createDatabase(isolation)
    const [writer, remover, observer] = [1, 2, 3].map(() => ManagedRuntime.make(pool(url, 1)))
    try {
      const run = <A, E>(runtime: typeof writer, body: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>) =>
        runtime!.runPromiseExit(Effect.flatMap(SqlClient.SqlClient, body))
      await run(observer!, (sql) => sql`INSERT INTO accounts (account_id) VALUES ('fresh')`)
      const written = Deferred.makeUnsafe<void>()
      const commit = Deferred.makeUnsafe<void>()
      const writing = run(writer!, (sql) =>
        sql.withTransaction(
          sql`WITH e AS (
                INSERT INTO entries (account_id, sequence, kind, decision, requested, amount, balance_after, created_at)
                VALUES ('fresh', 1, 'top-up', 'Applied', 5, 5, 5, now()))
              UPDATE accounts SET balance = 5, last_sequence = 1 WHERE account_id = 'fresh'`.pipe(
            Effect.andThen(Deferred.succeed(written, undefined)),
            Effect.andThen(Deferred.await(commit)),
          ),
        ),
      )
      await Effect.runPromise(Deferred.await(written))
      const removing = run(remover!, (sql) => sql`DELETE FROM accounts WHERE account_id = 'fresh'`)
      // The removal is waiting on the writer's row lock before the writer commits.
      await run(observer!, (sql) =>
        sql<{ waiting: bigint }>`
          SELECT count(*) AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`.pipe(
          Effect.filterOrFail(([row]) => Number(row?.waiting) === 1),
          Effect.retry(Schedule.spaced("20 millis")),
        ),
      )
      await Effect.runPromise(Deferred.succeed(commit, undefined))
      expect(Exit.isSuccess(await writing)).toBe(true)
      expect(await removing).toMatchObject(Exit.fail({ _tag: "SqlError", reason: { cause: { code } } }))
      const left = await run(
        observer!,
        (sql) => sql<{ entries: bigint; accounts: bigint }>`
          SELECT (SELECT count(*) FROM entries WHERE account_id = 'fresh') AS entries,
                 (SELECT count(*) FROM accounts WHERE account_id = 'fresh') AS accounts`,
      )
      expect(left).toMatchObject(Exit.succeed([{ entries: 1n, accounts: 1n }]))
    } finally {
      await Promise.all([writer, remover, observer].map((runtime) => runtime!.dispose()))
    }
  })
})
