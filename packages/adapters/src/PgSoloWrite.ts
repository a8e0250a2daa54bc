import { type AccountState, type Entry, newAccountState } from "@tally/domain"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import type { AccountCache } from "./AccountCache.ts"
import type { Operation } from "./PgLockedBatch.ts"
import { entryColumns, readAccount } from "./PgRows.ts"

/** The operation could not be settled without the lock; the caller takes the locked path. */
export const needsLock = Symbol("needsLock")

/**
 * A lone operation without an idempotency key, written in one statement instead of a locked
 * transaction: its step decides on the account's last known state (this process's cache, or one
 * read), and the write is a compare-and-swap that applies only if the account is still in exactly
 * that state, atomically with its entry. The row lock the UPDATE takes is the exclusive access.
 * If the account moved on (another process wrote), nothing is written and the caller falls back to
 * the locked path. A rejection decided on a cached state is confirmed by a read first.
 */
export const make = (sql: SqlClient.SqlClient, cache: AccountCache) => {
  const sameState = (a: AccountState | undefined, b: AccountState | undefined) =>
    a?.sequence === b?.sequence && a?.overdraftLimit === b?.overdraftLimit

  const insertEntry = (entry: Entry | undefined) =>
    entry === undefined
      ? sql`SELECT count(*)::int AS written FROM account`
      : sql`
          INSERT INTO entries (${sql.literal(entryColumns)})
          SELECT account_id, ${entry.sequence}::bigint, ${entry.kind}, ${entry.decision}, ${entry.requested}::bigint,
                 ${entry.amount}::bigint, ${entry.balanceAfter}::bigint, ${entry.idempotencyKey}, ${JSON.stringify(entry.metadata)}::jsonb,
                 ${entry.createdAt}::timestamptz
          FROM account RETURNING 1 AS written`

  /** One statement, so one round trip; its parameters are plain values, cheaper to parse than JSON. */
  const compareAndSwap = (accountId: string, expected: AccountState | undefined, next: AccountState, entry?: Entry) =>
    sql<{ written: number }>`
      WITH account AS (${
        expected === undefined
          ? sql`
            INSERT INTO accounts (account_id, balance, last_sequence, overdraft_limit)
            VALUES (${accountId}, ${next.balance}::bigint, NULLIF(${next.sequence}::bigint, 0), ${next.overdraftLimit}::bigint)
            ON CONFLICT DO NOTHING RETURNING account_id`
          : sql`
            UPDATE accounts
            SET balance = ${next.balance}::bigint, last_sequence = NULLIF(${next.sequence}::bigint, 0),
                overdraft_limit = ${next.overdraftLimit}::bigint
            WHERE account_id = ${accountId}
              AND coalesce(last_sequence, 0) = ${expected.sequence}::bigint
              AND overdraft_limit = ${expected.overdraftLimit}::bigint
            RETURNING account_id`
      })
      ${insertEntry(entry)}`.pipe(Effect.map((rows) => rows[0]?.written === 1))

  return (operation: Operation) =>
    Effect.gen(function* () {
      const cached = cache.get(operation.accountId)
      const known = cached ?? (yield* readAccount(sql, operation.accountId))
      if (cached === undefined && known !== undefined) cache.set(operation.accountId, known)
      const transition = operation.step({ state: known ?? newAccountState, prior: undefined })
      if (transition.state === undefined) {
        if (cached === undefined || sameState(cached, yield* readAccount(sql, operation.accountId)))
          return transition.result
        cache.delete(operation.accountId)
        return needsLock
      }
      if (yield* compareAndSwap(operation.accountId, known, transition.state, transition.entry)) {
        cache.set(operation.accountId, transition.state)
        return transition.result
      }
      cache.delete(operation.accountId)
      return needsLock
    }).pipe(Effect.tapError(() => Effect.sync(() => cache.delete(operation.accountId))))
}
