import {
  type AccountState,
  type IdempotencyKey,
  type IdempotencyRecord,
  newAccountState,
  RuleRejection,
} from "@tally/domain"
import { Effect, Schema } from "effect"
import type { SqlClient } from "effect/sql"
import type { Decided, Landmarks, Operation } from "./PgOperation.ts"
import {
  type AccountRow,
  accountColumns,
  type EntryRow,
  type EntryWrite,
  entriesRelation,
  entryOf,
  entryWriteColumns,
  stateOf,
} from "./PgRows.ts"

const encodeRefusal = Schema.encodeSync(RuleRejection)
const decodeRefusal = Schema.decodeUnknownSync(RuleRejection)

const keyOf = (accountId: string, key: string) => `${accountId}\u0000${key}`

interface NewRecord {
  readonly accountId: string
  readonly operationId: string
  readonly record: IdempotencyRecord
}

/**
 * A batch of operations as one transaction, reading top to bottom: lock the batch's accounts in id
 * order (so batches never deadlock each other), load the records of their idempotency keys, let
 * each operation's pure step decide on the running state in arrival order, write every entry, key
 * and account in one statement. The caller runs it in a transaction, commits and retries.
 */
export const make = (sql: SqlClient.SqlClient) => {
  const lockAccounts = (ids: ReadonlyArray<string>) =>
    sql<AccountRow>`
      SELECT ${sql.literal(accountColumns)} FROM accounts
      WHERE account_id = ANY(${ids}::text[])
      ORDER BY account_id FOR UPDATE`

  /**
   * Locks every account of `ids` (sorted), creating the ones used for the first time. Waits for any
   * transaction that holds one of them, or is creating one, to end.
   */
  const lockBatchAccounts = (ids: ReadonlyArray<string>) =>
    Effect.gen(function* () {
      const rows = yield* lockAccounts(ids)
      const states = new Map(rows.map((row) => [row.account_id, stateOf(row)]))
      const missing = ids.filter((id) => !states.has(id))
      if (missing.length === 0) return { states, created: [] }
      const created = yield* sql<{ account_id: string }>`
        INSERT INTO accounts (account_id)
        SELECT id FROM unnest(${missing}::text[]) AS ids(id) ORDER BY id
        ON CONFLICT DO NOTHING RETURNING account_id`
      // Accounts another transaction created meanwhile: lock them as they stand after its commit.
      for (const row of yield* lockAccounts(missing)) states.set(row.account_id, stateOf(row))
      return { states, created: created.map((row) => row.account_id) }
    })

  const loadKeys = (operations: ReadonlyArray<Operation>) =>
    Effect.gen(function* () {
      const records = new Map<string, IdempotencyRecord>()
      const keyed = operations.filter((op) => op.idempotencyKey !== undefined)
      if (keyed.length === 0) return records
      const wanted = new Set(keyed.map((op) => keyOf(op.accountId, op.idempotencyKey!)))
      const rows = yield* sql<EntryRow & { key: string; fingerprint: string; refusal: unknown; has_entry: boolean }>`
        SELECT k.idempotency_key AS key, k.fingerprint, k.refusal, e.sequence IS NOT NULL AS has_entry,
               k.account_id, e.sequence, e.kind, e.decision, e.requested, e.amount, e.balance_after,
               e.idempotency_key, e.metadata, e.created_at
        FROM idempotency_keys k
        LEFT JOIN entries e ON e.account_id = k.account_id AND e.sequence = k.entry_sequence
        WHERE k.account_id = ANY(${keyed.map((op) => op.accountId)}::text[])
          AND k.idempotency_key = ANY(${keyed.map((op) => op.idempotencyKey!)}::text[])`
      for (const row of rows) {
        const key = keyOf(row.account_id, row.key)
        if (!wanted.has(key)) continue
        records.set(key, {
          key: row.key as IdempotencyKey,
          fingerprint: row.fingerprint,
          outcome: row.has_entry
            ? { _tag: "Posted", entry: entryOf(row) }
            : { _tag: "Refused", error: decodeRefusal(row.refusal) },
        })
      }
      return records
    })

  // Numbers go as bigint: the driver infers int4 or int8 per array element from a number's size,
  // and refuses an array that mixes them.
  const writeBatch = (
    entries: ReadonlyArray<EntryWrite>,
    records: ReadonlyArray<NewRecord>,
    states: ReadonlyMap<string, AccountState>,
    untouchedCreated: ReadonlyArray<string>,
  ) => sql`
    WITH new_entries AS (
      INSERT INTO entries (${sql.literal(entryWriteColumns)})
      SELECT ${sql.literal(entryWriteColumns)} FROM ${entriesRelation(sql, entries)}
    ), new_keys AS (
      INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence, refusal, operation_id)
      SELECT account_id, idempotency_key, fingerprint, entry_sequence, refusal, operation_id
      FROM jsonb_to_recordset(${JSON.stringify(
        records.map(({ accountId, operationId, record }) => ({
          account_id: accountId,
          idempotency_key: record.key,
          fingerprint: record.fingerprint,
          entry_sequence: record.outcome._tag === "Posted" ? record.outcome.entry.sequence : null,
          refusal: record.outcome._tag === "Refused" ? encodeRefusal(record.outcome.error) : null,
          operation_id: operationId,
        })),
      )}::jsonb) AS x(account_id text, idempotency_key text, fingerprint text, entry_sequence bigint, refusal jsonb,
                      operation_id uuid)
    ), unused_accounts AS (
      DELETE FROM accounts WHERE account_id = ANY(${untouchedCreated}::text[])
    )
    UPDATE accounts a
    SET balance = x.balance, last_sequence = NULLIF(x.last_sequence, 0), overdraft_limit = x.overdraft_limit
    FROM unnest(
      ${[...states.keys()]}::text[],
      ${[...states.values()].map((state) => BigInt(state.balance))}::bigint[],
      ${[...states.values()].map((state) => BigInt(state.sequence))}::bigint[],
      ${[...states.values()].map((state) => BigInt(state.overdraftLimit))}::bigint[]
    ) AS x(account_id, balance, last_sequence, overdraft_limit)
    -- The ANY lets the planner find the rows by index; it cannot see the unnested ids' number.
    WHERE a.account_id = x.account_id AND a.account_id = ANY(${[...states.keys()]}::text[])`

  /** Decides and writes the batch inside the caller's transaction; valid once it commits. */
  const decide = (operations: ReadonlyArray<Operation>) =>
    Effect.gen(function* () {
      const accountIds = [...new Set(operations.map((op) => op.accountId))].sort()
      const { states, created } = yield* lockBatchAccounts(accountIds)
      const records = yield* loadKeys(operations)
      const changed = new Map<string, AccountState>()
      const entries: Array<EntryWrite> = []
      const newRecords: Array<NewRecord> = []
      const results = operations.map(({ accountId, idempotencyKey, operationId, step }) => {
        const key = idempotencyKey === undefined ? undefined : keyOf(accountId, idempotencyKey)
        const state = changed.get(accountId) ?? states.get(accountId) ?? newAccountState
        const transition = step({ state, prior: key === undefined ? undefined : records.get(key) })
        if (transition.state !== undefined) changed.set(accountId, transition.state)
        if (transition.entry !== undefined) entries.push({ entry: transition.entry, operationId })
        if (transition.record !== undefined && key !== undefined) {
          records.set(key, transition.record)
          newRecords.push({ accountId, operationId, record: transition.record })
        }
        return transition.result
      })
      const untouchedCreated = created.filter((id) => !changed.has(id))
      if (changed.size > 0 || newRecords.length > 0 || untouchedCreated.length > 0) {
        yield* writeBatch(entries, newRecords, changed, untouchedCreated)
      }
      const committed = new Map([...states, ...changed])
      for (const id of untouchedCreated) committed.delete(id)
      const landmarks: Landmarks = {
        entries: entries.map(({ entry, operationId }) => ({
          accountId: entry.accountId,
          sequence: entry.sequence,
          operationId,
        })),
        records: newRecords
          .filter(({ record }) => record.outcome._tag === "Refused")
          .map(({ accountId, operationId, record }) => ({ accountId, key: record.key, operationId })),
      }
      return { results, accountIds, landmarks, committed } satisfies Decided
    })

  return { decide, lockBatchAccounts }
}
