import { type AccountState, type Entry, newAccountState, noAutoTopUp, type Transition } from "@tally/domain"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import type { AccountCache } from "./AccountCache.ts"
import type { Decided, Operation } from "./PgOperation.ts"
import { entryWriteColumns, readAccount } from "./PgRows.ts"

/** `$n` placeholders for the parameters after the `first` ones. */
const placeholder = (first: number) => (index: number) => `$${first + index}`

/** The entry the compare-and-swap appends, its parameters after the account's `first`. */
const insertEntryText = (first: number) => {
  const $ = placeholder(first)
  return `
    INSERT INTO entries (${entryWriteColumns})
    SELECT account_id, ${$(1)}, ${$(2)}, ${$(3)}, ${$(4)}, ${$(5)}, ${$(6)}, ${$(7)}, ${$(8)}, ${$(9)}::bigint,
           ${$(10)}::bigint, ${$(11)}, ${$(12)}, ${$(13)}, ${$(14)}::jsonb, ${$(15)}::timestamptz, ${$(16)}::uuid
    FROM account RETURNING 1 AS written`
}

const statementText = (account: string, accountParams: number) => ({
  entry: `WITH account AS (${account}) ${insertEntryText(accountParams)}`,
  noEntry: `WITH account AS (${account}) SELECT count(*)::int AS written FROM account`,
})

const updateAccountText = (autoTopUp: string) => `
  UPDATE accounts
  SET balance = $1, last_sequence = NULLIF($2, 0), overdraft_limit = $3, held = $4, holds_placed = $5
  WHERE account_id = $6 AND coalesce(last_sequence, 0) = $7 AND overdraft_limit = $8 AND held = $9
    AND holds_placed = $10 AND ${autoTopUp}
  RETURNING account_id`

/**
 * The compare-and-swap's text for each shape (a new account or an update, with or without auto top-up
 * set, with or without an entry), built once: the sql tag compiled the statement anew on every write,
 * and the driver hashed each new text to find its prepared statement.
 */
const texts = {
  insert: statementText(
    `INSERT INTO accounts (account_id, balance, last_sequence, overdraft_limit, held, holds_placed)
     VALUES ($1, $2, NULLIF($3, 0), $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING account_id`,
    6,
  ),
  update: statementText(updateAccountText("auto_top_up IS NULL"), 10),
  updateAutoTopUp: statementText(updateAccountText("auto_top_up = $11::jsonb"), 11),
}

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

  const nullableBigInt = (value: number | null) => (value === null ? null : BigInt(value))

  /**
   * One statement, so one round trip; its parameters are plain values, cheaper to parse than JSON.
   * It applies only if every field of the account is as expected: a hold changes `held` without an entry.
   * Numbers go as bigint, so each parameter has one type whatever its size.
   */
  const compareAndSwap = (
    operation: Operation,
    expected: AccountState | undefined,
    next: AccountState,
    entry: Entry | undefined,
  ) => {
    const params: Array<unknown> =
      expected === undefined
        ? [
            operation.accountId,
            BigInt(next.balance),
            BigInt(next.sequence),
            BigInt(next.overdraftLimit),
            BigInt(next.held),
            BigInt(next.holdsPlaced),
          ]
        : [
            BigInt(next.balance),
            BigInt(next.sequence),
            BigInt(next.overdraftLimit),
            BigInt(next.held),
            BigInt(next.holdsPlaced),
            operation.accountId,
            BigInt(expected.sequence),
            BigInt(expected.overdraftLimit),
            BigInt(expected.held),
            BigInt(expected.holdsPlaced),
          ]
    const autoTopUpSet = expected !== undefined && expected.autoTopUp !== noAutoTopUp
    if (autoTopUpSet) params.push(JSON.stringify(expected.autoTopUp))
    if (entry !== undefined) {
      params.push(
        BigInt(entry.sequence),
        entry.kind,
        entry.decision,
        BigInt(entry.requested),
        BigInt(entry.amount),
        BigInt(entry.balanceAfter),
        entry.idempotencyKey,
        entry.reference,
        nullableBigInt(entry.holdId),
        nullableBigInt(entry.refundOf),
        entry.reason,
        entry.actor,
        entry.overdrawn,
        JSON.stringify(entry.metadata),
        entry.createdAt,
        operation.operationId,
      )
    }
    const shape = expected === undefined ? texts.insert : autoTopUpSet ? texts.updateAutoTopUp : texts.update
    return sql
      .unsafe<{ written: number }>(entry === undefined ? shape.noEntry : shape.entry, params)
      .pipe(Effect.map((rows) => rows[0]?.written === 1))
  }

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
