import { type AccountState, type Entry, newAccountState, noAutoTopUp, type Transition } from "@tally/domain"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import type { AccountCache } from "./AccountCache.ts"
import type { Decided, Operation } from "./PgOperation.ts"
import { entryWriteColumns, readAccount } from "./PgRows.ts"

/** The operation could not be settled without the lock; the caller takes the locked path. */
export const needsLock = Symbol("needsLock")

/**
 * A lone operation without an idempotency key or any other row to load (a hold, a refunded entry),
 * written in one statement instead of a locked transaction: its step decides on the account's last known state (this process's cache, or one
 * read), and the write is a compare-and-swap that applies only if the account is still in exactly
 * that state, atomically with its entry. The row lock the UPDATE takes is the exclusive access.
 * If the account moved on (another process wrote), nothing is written and the caller falls back to
 * the locked path. A rejection decided on a cached state is confirmed by a read first. A transition
 * that does more than post an entry and move the balance (it opens an auto top-up request, emits
 * events, settles a refill, changes the auto top-up or refill state) takes the locked path too: the
 * statement writes none of that.
 *
 * `beforeWrite` hears what was decided just before the statement is sent: if the connection drops
 * then, the statement may or may not have run.
 */
export const make = (sql: SqlClient.SqlClient, cache: AccountCache) => {
  // Accounts that never configured auto top-up or refills share the same objects, compared at once.
  const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

  const sameState = (a: AccountState | undefined, b: AccountState | undefined) =>
    a?.sequence === b?.sequence &&
    a?.overdraftLimit === b?.overdraftLimit &&
    a?.held === b?.held &&
    a?.holdsPlaced === b?.holdsPlaced &&
    sameJson(a?.autoTopUp, b?.autoTopUp) &&
    sameJson(a?.refill, b?.refill)

  /** Whether the statement can write all of the transition: its state's balance and counters, and an entry. */
  const plain = (known: AccountState, transition: Transition<unknown>, next: AccountState) =>
    transition.events === undefined &&
    transition.autoTopUpRequest === undefined &&
    transition.refill === undefined &&
    transition.hold === undefined &&
    next.autoTopUp === known.autoTopUp &&
    next.refill === known.refill

  // Numbers go as bigint, so each parameter has one type whatever its size.
  const insertEntry = (entry: Entry | undefined, operationId: string) =>
    entry === undefined
      ? sql`SELECT count(*)::int AS written FROM account`
      : sql`
          INSERT INTO entries (${sql.literal(entryWriteColumns)})
          SELECT account_id, ${BigInt(entry.sequence)}, ${entry.kind}, ${entry.decision}, ${BigInt(entry.requested)},
                 ${BigInt(entry.amount)}, ${BigInt(entry.balanceAfter)}, ${entry.idempotencyKey}, ${entry.reference},
                 ${nullableBigInt(entry.holdId)}::bigint, ${nullableBigInt(entry.refundOf)}::bigint, ${entry.reason},
                 ${entry.actor}, ${entry.overdrawn}, ${JSON.stringify(entry.metadata)}::jsonb,
                 ${entry.createdAt}::timestamptz, ${operationId}::uuid
          FROM account RETURNING 1 AS written`

  const nullableBigInt = (value: number | null) => (value === null ? null : BigInt(value))

  /**
   * One statement, so one round trip; its parameters are plain values, cheaper to parse than JSON.
   * It applies only if every field of the account is as expected: a hold changes `held` without an entry.
   */
  const compareAndSwap = (
    operation: Operation,
    expected: AccountState | undefined,
    next: AccountState,
    entry: Entry | undefined,
  ) =>
    sql<{ written: number }>`
      WITH account AS (${
        expected === undefined
          ? sql`
            INSERT INTO accounts (account_id, balance, last_sequence, overdraft_limit, held, holds_placed)
            VALUES (${operation.accountId}, ${BigInt(next.balance)}, NULLIF(${BigInt(next.sequence)}, 0),
                    ${BigInt(next.overdraftLimit)}, ${BigInt(next.held)}, ${BigInt(next.holdsPlaced)})
            ON CONFLICT DO NOTHING RETURNING account_id`
          : sql`
            UPDATE accounts
            SET balance = ${BigInt(next.balance)}, last_sequence = NULLIF(${BigInt(next.sequence)}, 0),
                overdraft_limit = ${BigInt(next.overdraftLimit)}, held = ${BigInt(next.held)},
                holds_placed = ${BigInt(next.holdsPlaced)}
            WHERE account_id = ${operation.accountId}
              AND coalesce(last_sequence, 0) = ${BigInt(expected.sequence)}
              AND overdraft_limit = ${BigInt(expected.overdraftLimit)}
              AND held = ${BigInt(expected.held)}
              AND holds_placed = ${BigInt(expected.holdsPlaced)}
              AND ${
                expected.autoTopUp === noAutoTopUp
                  ? sql`auto_top_up IS NULL`
                  : sql`auto_top_up = ${JSON.stringify(expected.autoTopUp)}::jsonb`
              }
            RETURNING account_id`
      })
      ${insertEntry(entry, operation.operationId)}`.pipe(Effect.map((rows) => rows[0]?.written === 1))

  return (operation: Operation, beforeWrite: (decided: Decided) => void) =>
    Effect.gen(function* () {
      const { accountId } = operation
      const cached = cache.get(accountId)
      const known = cached ?? (yield* readAccount(sql, accountId))
      if (cached === undefined && known !== undefined) cache.set(accountId, known)
      const transition = operation.step({ state: known ?? newAccountState, prior: undefined })
      if (transition.state === undefined) {
        if (cached === undefined || sameState(cached, yield* readAccount(sql, accountId))) return transition.result
        cache.delete(accountId)
        return needsLock
      }
      if (!plain(known ?? newAccountState, transition, transition.state)) return needsLock
      const { entry } = transition
      beforeWrite({
        results: [transition.result],
        accountIds: [accountId],
        landmarks: {
          entries:
            entry === undefined ? [] : [{ accountId, sequence: entry.sequence, operationId: operation.operationId }],
          records: [],
          events: [],
          refills: [],
        },
        writers: new Set([operation.operationId]),
        committed: new Map([[accountId, transition.state]]),
      })
      if (yield* compareAndSwap(operation, known, transition.state, entry)) {
        cache.set(accountId, transition.state)
        return transition.result
      }
      cache.delete(accountId)
      return needsLock
    })
}
