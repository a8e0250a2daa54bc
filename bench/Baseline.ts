import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { fromMeasurement, type ImplementationName } from "./BenchRecord.ts"
import * as Database from "./Database.ts"
import type { Implementation } from "./Implementation.ts"
import { drive } from "./Target.ts"
import { accountIds, type Cell, type Operation, type Outcome, seedBalance } from "./Workload.ts"

/**
 * What the two baselines share. The tables both write, shaped like the origin platform's: one balance row per account
 * and one transaction row per applied change, with its running balance and a random key. `id` is
 * drawn while the balance row is held, so it orders each account's entries the way they were
 * applied; the audit walks the chain in that order.
 */
export const create = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE user_balance (
      account_id text PRIMARY KEY,
      balance bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`
    CREATE TABLE credit_transaction (
      id bigserial,
      account_id text NOT NULL,
      transaction_key uuid NOT NULL,
      amount bigint NOT NULL,
      running_balance bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, transaction_key)
    )`
  yield* sql`CREATE INDEX credit_transaction_chain ON credit_transaction (account_id, id)`
})

/** Every account starts at `balance`, recorded as its first transaction. */
export const seed = (ids: ReadonlyArray<string>, balance: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const json = JSON.stringify(ids)
    yield* sql`
      INSERT INTO user_balance (account_id, balance)
      SELECT id, ${balance}::bigint FROM jsonb_array_elements_text(${json}::jsonb) AS ids(id)`
    yield* sql`
      INSERT INTO credit_transaction (account_id, transaction_key, amount, running_balance)
      SELECT id, gen_random_uuid(), ${balance}::bigint, ${balance}::bigint
      FROM jsonb_array_elements_text(${json}::jsonb) AS ids(id)`
    yield* sql`ANALYZE`
  })

export const balances = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ account_id: string; balance: bigint }>`SELECT account_id, balance FROM user_balance`
  return new Map(rows.map((row) => [row.account_id, Number(row.balance)]))
})

export interface Audit {
  /** Entries whose running balance does not follow from the previous one: each is a write made on a stale balance. */
  readonly brokenLinks: number
  /** Accounts whose stored balance is not the sum of their entries. */
  readonly unbalancedAccounts: number
}

export const audit = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ broken_links: bigint; unbalanced_accounts: bigint }>`
    SELECT
      (SELECT count(*) FROM (
         SELECT running_balance - amount
                  <> lag(running_balance, 1, 0::bigint) OVER (PARTITION BY account_id ORDER BY id) AS broken
         FROM credit_transaction) AS chain
       WHERE broken) AS broken_links,
      (SELECT count(*) FROM user_balance b
       LEFT JOIN (SELECT account_id, sum(amount) AS total FROM credit_transaction GROUP BY account_id) AS t
         USING (account_id)
       WHERE b.balance IS DISTINCT FROM t.total) AS unbalanced_accounts`
  return { brokenLinks: Number(row!.broken_links), unbalancedAccounts: Number(row!.unbalanced_accounts) } as Audit
})

/**
 * A baseline on a fresh database with its tables, seeded, given a connection per client so it
 * gets real concurrency.
 */
export const implementation = (
  name: ImplementationName,
  execute: (
    sql: SqlClient.SqlClient,
    ids: ReadonlyArray<string>,
  ) => (operation: Operation) => Effect.Effect<Outcome, unknown>,
): Implementation => ({
  name,
  run: (cell: Cell, server: Database.Server) =>
    Effect.gen(function* () {
      const url = yield* Database.fresh(server, name)
      const ids = accountIds(cell.accounts)
      const measurement = yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* create
        yield* seed(ids, seedBalance)
        const withSql = Effect.provideService(SqlClient.SqlClient, sql)
        const target = {
          execute: execute(sql, ids),
          balances: withSql(balances),
          audit: withSql(audit).pipe(
            Effect.map((found) => ({
              violations: found.brokenLinks + found.unbalancedAccounts,
              lostUpdates: found.brokenLinks,
            })),
          ),
        }
        return yield* drive(cell, ids, target, server)
      }).pipe(Effect.provide(Database.pool(url, cell.clients)))
      return fromMeasurement(cell, name, cell.clients, measurement)
    }).pipe(Effect.scoped),
})
