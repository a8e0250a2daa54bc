import {
  type AccountHistory,
  type AccountId,
  type Entry,
  type IdempotencyKey,
  LedgerStore,
  LedgerUnavailable,
  newAccountState,
  type Step,
} from "@tally/domain"
import { Effect, Layer, Schedule } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import * as AccountCache from "./AccountCache.ts"
import * as GroupCommit from "./GroupCommit.ts"
import * as PgLockedBatch from "./PgLockedBatch.ts"
import {
  type AccountRow,
  accountColumns,
  type EntryRow,
  entryColumns,
  entryOf,
  readAccount,
  stateOf,
} from "./PgRows.ts"
import * as PgSoloWrite from "./PgSoloWrite.ts"

/**
 * The ledger in PostgreSQL. Writes go through group commit: operations that arrive while a batch is
 * being written go together in the next one, a locked transaction (`PgLockedBatch`). An operation
 * that arrives alone with no idempotency key skips the transaction: one compare-and-swap statement
 * (`PgSoloWrite`) writes it when the account is as this process last saw it. Row locks, not this
 * process, decide between processes.
 */

export interface Options extends GroupCommit.Options {
  /** Attempts of a batch that hit a serialization failure or deadlock before giving up. */
  readonly attemptsMax: number
  /** Write a lone operation without an idempotency key as one compare-and-swap statement. */
  readonly soloWrites: boolean
  /** Accounts whose last known state this process keeps, for solo writes. */
  readonly cachedAccountsMax: number
}

export const defaults: Options = {
  ...GroupCommit.defaults,
  attemptsMax: 12,
  soloWrites: true,
  cachedAccountsMax: 100_000,
}

/** Callers get a typed error that names the kind of failure; the driver's details go to the log. */
const orUnavailable = <A, R>(effect: Effect.Effect<A, SqlError.SqlError, R>) =>
  effect.pipe(
    Effect.tapError((error) => Effect.logError("PostgreSQL operation failed", error.reason)),
    Effect.mapError(
      (error) => new LedgerUnavailable({ message: `storage unavailable (${error.reason._tag}); nothing was written` }),
    ),
  )

export const make = (options: Options = defaults) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const cache = AccountCache.make(options.cachedAccountsMax)
    const lockedBatch = PgLockedBatch.make(sql, cache)
    const soloWrite = PgSoloWrite.make(sql, cache)

    const settle = (operations: ReadonlyArray<PgLockedBatch.Operation>) => {
      const [only] = operations
      if (!options.soloWrites || operations.length > 1 || only === undefined || only.idempotencyKey !== undefined) {
        return lockedBatch(operations)
      }
      return Effect.flatMap(soloWrite(only), (result) =>
        result === PgSoloWrite.needsLock ? lockedBatch(operations) : Effect.succeed([result]),
      )
    }

    const submit = yield* GroupCommit.make(options, (operations: ReadonlyArray<PgLockedBatch.Operation>) =>
      settle(operations).pipe(
        Effect.retry({
          schedule: Schedule.exponential("2 millis").pipe(Schedule.jittered),
          times: options.attemptsMax - 1,
          while: (error) => error.isRetryable,
        }),
        orUnavailable,
        Effect.withSpan("PgLedgerStore.batch", { attributes: { operations: operations.length } }),
      ),
    )

    const readOnly = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`.pipe(Effect.andThen(effect), sql.withTransaction)

    return LedgerStore.of({
      transact: <A>(accountId: AccountId, idempotencyKey: IdempotencyKey | undefined, step: Step<A>) =>
        submit({ accountId, idempotencyKey, step }) as Effect.Effect<A, LedgerUnavailable>,

      account: (accountId) =>
        readAccount(sql, accountId).pipe(
          Effect.map((state) => state ?? newAccountState),
          orUnavailable,
        ),

      entries: (accountId, { limit, beforeSequence, kind }) =>
        sql<EntryRow>`
          SELECT ${sql.literal(entryColumns)} FROM entries
          WHERE account_id = ${accountId}
            AND sequence < ${beforeSequence ?? Number.MAX_SAFE_INTEGER}
            ${kind === undefined ? sql`` : sql`AND kind = ${kind}`}
          ORDER BY sequence DESC LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map(entryOf)),
          orUnavailable,
        ),

      histories: (afterAccountId, accountsMax) =>
        readOnly(
          Effect.gen(function* () {
            const accounts = yield* sql<AccountRow>`
              SELECT ${sql.literal(accountColumns)} FROM accounts
              WHERE account_id > ${afterAccountId ?? ""} ORDER BY account_id LIMIT ${accountsMax}`
            const last = accounts[accounts.length - 1]
            if (last === undefined) return []
            const rows = yield* sql<EntryRow>`
              SELECT ${sql.literal(entryColumns)} FROM entries
              WHERE account_id > ${afterAccountId ?? ""} AND account_id <= ${last.account_id}
              ORDER BY account_id, sequence`
            const entries = new Map<string, Array<Entry>>()
            for (const row of rows) {
              const history = entries.get(row.account_id) ?? []
              if (history.length === 0) entries.set(row.account_id, history)
              history.push(entryOf(row))
            }
            return accounts.map(
              (row): AccountHistory => ({
                accountId: row.account_id as AccountId,
                state: stateOf(row),
                entries: entries.get(row.account_id) ?? [],
              }),
            )
          }),
        ).pipe(orUnavailable),
    })
  })

/** The store over the `SqlClient` in context; its batch writers live as long as the layer. */
export const layer = (options: Options = defaults) => Layer.effect(LedgerStore, make(options))
