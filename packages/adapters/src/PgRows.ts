import type { AccountId, AccountState, Balance, Entry, OverdraftLimit } from "@tally/domain"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"

/** How accounts and entries look in PostgreSQL, and how they map to the domain. */

export interface AccountRow {
  readonly account_id: string
  readonly balance: bigint
  readonly last_sequence: bigint | null
  readonly overdraft_limit: bigint
}

export interface EntryRow {
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

export const accountColumns = "account_id, balance, last_sequence, overdraft_limit"

export const entryColumns =
  "account_id, sequence, kind, decision, requested, amount, balance_after, idempotency_key, metadata, created_at"

export const stateOf = (row: AccountRow): AccountState => ({
  balance: Number(row.balance) as Balance,
  sequence: row.last_sequence === null ? 0 : Number(row.last_sequence),
  overdraftLimit: Number(row.overdraft_limit) as OverdraftLimit,
})

export const entryOf = (row: EntryRow): Entry => ({
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

/** An account's committed state, or undefined when it has no row yet. */
export const readAccount = (sql: SqlClient.SqlClient, accountId: string) =>
  sql<AccountRow>`SELECT ${sql.literal(accountColumns)} FROM accounts WHERE account_id = ${accountId}`.pipe(
    Effect.map(([row]) => (row === undefined ? undefined : stateOf(row))),
  )

/** An entry with the id of the operation that wrote it, which finds it again after an unknown commit. */
export interface EntryWrite {
  readonly entry: Entry
  readonly operationId: string
}

/** The columns an entry is written with: `entryColumns` and its operation id. */
export const entryWriteColumns = `${entryColumns}, operation_id`

/**
 * Entries as a relation with `entryWriteColumns`, sent as one JSON parameter: one statement text for
 * any number of entries, so it is prepared once.
 */
export const entriesRelation = (sql: SqlClient.SqlClient, writes: ReadonlyArray<EntryWrite>) => sql`
  jsonb_to_recordset(${JSON.stringify(
    writes.map(({ entry: e, operationId }) => ({
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
      operation_id: operationId,
    })),
  )}::jsonb) AS x(account_id text, sequence bigint, kind text, decision text, requested bigint, amount bigint,
                  balance_after bigint, idempotency_key text, metadata jsonb, created_at timestamptz, operation_id uuid)`
