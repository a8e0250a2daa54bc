import {
  type AccountHistory,
  type AccountId,
  type AccountState,
  type Balance,
  type Entry,
  type IdempotencyKey,
  type IdempotencyRecord,
  LedgerStore,
  LedgerUnavailable,
  newAccountState,
  type OverdraftLimit,
  RuleRejection,
  type Step,
} from "@tally/domain"
import { Effect, Layer, Schedule, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import * as GroupCommit from "./GroupCommit.ts"

/**
 * The ledger in PostgreSQL. Writes go through group commit: one transaction per batch locks the
 * batch's accounts (in id order, so batches never deadlock each other), lets each operation's pure
 * step decide on the running state in arrival order, writes every entry, key and balance in one
 * statement, and commits once. Row locks, not this process, decide between processes.
 */

export interface Options extends GroupCommit.Options {
  /** Attempts of a batch that hit a serialization failure or deadlock before giving up. */
  readonly attemptsMax: number
}

export const defaults: Options = { ...GroupCommit.defaults, attemptsMax: 12 }

interface Operation {
  readonly accountId: AccountId
  readonly idempotencyKey: IdempotencyKey | undefined
  readonly step: Step<unknown>
}

interface AccountRow {
  readonly account_id: string
  readonly balance: bigint
  readonly last_sequence: bigint | null
  readonly overdraft_limit: bigint
}

interface EntryRow {
  readonly account_id: string
  readonly sequence: bigint
  readonly kind: Entry["kind"]
  readonly decision: Entry["decision"]
  readonly requested: bigint
  readonly amount: bigint
  readonly balance_after: bigint
  readonly idempotency_key: string | null
  readonly metadata: Entry["metadata"]
  readonly created_at: Date
}

const entryColumns =
  "account_id, sequence, kind, decision, requested, amount, balance_after, idempotency_key, metadata, created_at"

const stateOf = (row: AccountRow): AccountState => ({
  balance: Number(row.balance) as Balance,
  sequence: row.last_sequence === null ? 0 : Number(row.last_sequence),
  overdraftLimit: Number(row.overdraft_limit) as OverdraftLimit,
})

const entryOf = (row: EntryRow): Entry => ({
  accountId: row.account_id as AccountId,
  sequence: Number(row.sequence),
  kind: row.kind,
  decision: row.decision,
  requested: Number(row.requested),
  amount: Number(row.amount),
  balanceAfter: Number(row.balance_after) as Balance,
  idempotencyKey: row.idempotency_key,
  metadata: row.metadata,
  createdAt: row.created_at.toISOString(),
})

const encodeRefusal = Schema.encodeSync(RuleRejection)
const decodeRefusal = Schema.decodeUnknownSync(RuleRejection)

const keyOf = (accountId: string, key: string) => `${accountId}\u0000${key}`

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

    const lockAccounts = (ids: ReadonlyArray<string>) =>
      sql<AccountRow>`
        SELECT account_id, balance, last_sequence, overdraft_limit FROM accounts
        WHERE account_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
        ORDER BY account_id FOR UPDATE`

    /** Locks every account of the batch, creating the ones used for the first time. */
    const lockBatchAccounts = (ids: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const rows = yield* lockAccounts(ids)
        const states = new Map(rows.map((row) => [row.account_id, stateOf(row)]))
        const missing = ids.filter((id) => !states.has(id))
        if (missing.length === 0) return { states, created: [] }
        const created = yield* sql<{ account_id: string }>`
          INSERT INTO accounts (account_id)
          SELECT id FROM jsonb_array_elements_text(${JSON.stringify(missing)}::jsonb) AS ids(id) ORDER BY id
          ON CONFLICT DO NOTHING RETURNING account_id`
        // Accounts another transaction created meanwhile: lock them as they stand after its commit.
        for (const row of yield* lockAccounts(missing)) states.set(row.account_id, stateOf(row))
        return { states, created: created.map((row) => row.account_id) }
      })

    const loadKeys = (operations: ReadonlyArray<Operation>) =>
      Effect.gen(function* () {
        const records = new Map<string, IdempotencyRecord>()
        const wanted = operations.flatMap(({ accountId, idempotencyKey }) =>
          idempotencyKey === undefined ? [] : [{ a: accountId, k: idempotencyKey }],
        )
        if (wanted.length === 0) return records
        const rows = yield* sql<EntryRow & { key: string; fingerprint: string; refusal: unknown; has_entry: boolean }>`
          SELECT k.idempotency_key AS key, k.fingerprint, k.refusal, e.sequence IS NOT NULL AS has_entry,
                 k.account_id, e.sequence, e.kind, e.decision, e.requested, e.amount, e.balance_after,
                 e.idempotency_key, e.metadata, e.created_at
          FROM idempotency_keys k
          LEFT JOIN entries e ON e.account_id = k.account_id AND e.sequence = k.entry_sequence
          WHERE (k.account_id, k.idempotency_key) IN
            (SELECT a, k FROM jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) AS w(a text, k text))`
        for (const row of rows) {
          records.set(keyOf(row.account_id, row.key), {
            key: row.key as IdempotencyKey,
            fingerprint: row.fingerprint,
            outcome: row.has_entry
              ? { _tag: "Posted", entry: entryOf(row) }
              : { _tag: "Refused", error: decodeRefusal(row.refusal) },
          })
        }
        return records
      })

    const writeBatch = (
      entries: ReadonlyArray<Entry>,
      records: ReadonlyArray<{ accountId: string; record: IdempotencyRecord }>,
      states: ReadonlyMap<string, AccountState>,
      untouchedCreated: ReadonlyArray<string>,
    ) => sql`
      WITH new_entries AS (
        INSERT INTO entries (${sql.literal(entryColumns)})
        SELECT ${sql.literal(entryColumns)} FROM jsonb_to_recordset(${JSON.stringify(
          entries.map((e) => ({
            account_id: e.accountId,
            sequence: e.sequence,
            kind: e.kind,
            decision: e.decision,
            requested: e.requested,
            amount: e.amount,
            balance_after: e.balanceAfter,
            idempotency_key: e.idempotencyKey,
            metadata: e.metadata,
            created_at: e.createdAt,
          })),
        )}::jsonb) AS x(account_id text, sequence bigint, kind text, decision text, requested bigint, amount bigint,
                         balance_after bigint, idempotency_key text, metadata jsonb, created_at timestamptz)
      ), new_keys AS (
        INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence, refusal)
        SELECT account_id, idempotency_key, fingerprint, entry_sequence, refusal
        FROM jsonb_to_recordset(${JSON.stringify(
          records.map(({ accountId, record }) => ({
            account_id: accountId,
            idempotency_key: record.key,
            fingerprint: record.fingerprint,
            entry_sequence: record.outcome._tag === "Posted" ? record.outcome.entry.sequence : null,
            refusal: record.outcome._tag === "Refused" ? encodeRefusal(record.outcome.error) : null,
          })),
        )}::jsonb) AS x(account_id text, idempotency_key text, fingerprint text, entry_sequence bigint, refusal jsonb)
      ), unused_accounts AS (
        DELETE FROM accounts WHERE account_id IN
          (SELECT jsonb_array_elements_text(${JSON.stringify(untouchedCreated)}::jsonb))
      )
      UPDATE accounts a
      SET balance = x.balance, last_sequence = NULLIF(x.last_sequence, 0), overdraft_limit = x.overdraft_limit
      FROM jsonb_to_recordset(${JSON.stringify(
        [...states].map(([accountId, state]) => ({
          account_id: accountId,
          balance: state.balance,
          last_sequence: state.sequence,
          overdraft_limit: state.overdraftLimit,
        })),
      )}::jsonb) AS x(account_id text, balance bigint, last_sequence bigint, overdraft_limit bigint)
      WHERE a.account_id = x.account_id`

    /** One transaction: lock, decide each operation in arrival order, write everything, commit. */
    const runBatch = (operations: ReadonlyArray<Operation>) =>
      Effect.gen(function* () {
        const ids = [...new Set(operations.map((op) => op.accountId))].sort()
        const { states, created } = yield* lockBatchAccounts(ids)
        const records = yield* loadKeys(operations)
        const changed = new Map<string, AccountState>()
        const entries: Array<Entry> = []
        const newRecords: Array<{ accountId: string; record: IdempotencyRecord }> = []
        const results = operations.map(({ accountId, idempotencyKey, step }) => {
          const key = idempotencyKey === undefined ? undefined : keyOf(accountId, idempotencyKey)
          const state = changed.get(accountId) ?? states.get(accountId) ?? newAccountState
          const transition = step({ state, prior: key === undefined ? undefined : records.get(key) })
          if (transition.state !== undefined) changed.set(accountId, transition.state)
          if (transition.entry !== undefined) entries.push(transition.entry)
          if (transition.record !== undefined && key !== undefined) {
            records.set(key, transition.record)
            newRecords.push({ accountId, record: transition.record })
          }
          return transition.result
        })
        const untouchedCreated = created.filter((id) => !changed.has(id))
        if (changed.size > 0 || newRecords.length > 0 || untouchedCreated.length > 0) {
          yield* writeBatch(entries, newRecords, changed, untouchedCreated)
        }
        return results
      }).pipe(
        sql.withTransaction,
        Effect.retry({
          schedule: Schedule.exponential("2 millis").pipe(Schedule.jittered),
          times: options.attemptsMax - 1,
          while: (error) => error.isRetryable,
        }),
        orUnavailable,
        Effect.withSpan("PgLedgerStore.batch", { attributes: { operations: operations.length } }),
      )

    const submit = yield* GroupCommit.make(options, runBatch)

    const readOnly = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`.pipe(Effect.andThen(effect), sql.withTransaction)

    return LedgerStore.of({
      transact: <A>(accountId: AccountId, idempotencyKey: IdempotencyKey | undefined, step: Step<A>) =>
        submit({ accountId, idempotencyKey, step }) as Effect.Effect<A, LedgerUnavailable>,

      account: (accountId) =>
        sql<AccountRow>`SELECT account_id, balance, last_sequence, overdraft_limit FROM accounts WHERE account_id = ${accountId}`.pipe(
          Effect.map(([row]) => (row === undefined ? newAccountState : stateOf(row))),
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
              SELECT account_id, balance, last_sequence, overdraft_limit FROM accounts
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
