import type { AccountId, AccountState, Balance, Entry, Hold, OverdraftLimit } from "@tally/domain"
import { Effect } from "effect"
import type { SqlClient } from "effect/sql"

/** How accounts, entries and holds look in PostgreSQL, and how they map to the domain. */

export interface AccountRow {
  readonly account_id: string
  readonly balance: bigint
  readonly last_sequence: bigint | null
  readonly overdraft_limit: bigint
  readonly held: bigint
  readonly holds_placed: bigint
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
  readonly reference: string | null
  readonly hold_id: bigint | null
  readonly refund_of: bigint | null
  readonly reason: string | null
  readonly actor: string | null
  readonly overdrawn: boolean
  readonly metadata: Entry["metadata"]
  readonly created_at: Date
}

export interface HoldRow {
  readonly account_id: string
  readonly hold_id: bigint
  readonly status: Hold["status"]
  readonly requested: bigint
  readonly amount: bigint
  readonly captured: bigint
  readonly excess: bigint
  readonly reference: string | null
  readonly metadata: Hold["metadata"]
  readonly expires_at: Date | null
  readonly created_at: Date
  readonly resolved_at: Date | null
}

export const accountColumns = "account_id, balance, last_sequence, overdraft_limit, held, holds_placed"

export const entryColumns =
  "account_id, sequence, kind, decision, requested, amount, balance_after, idempotency_key, reference, hold_id, refund_of, reason, actor, overdrawn, metadata, created_at"

export const holdColumns =
  "account_id, hold_id, status, requested, amount, captured, excess, reference, metadata, expires_at, created_at, resolved_at"

export const stateOf = (row: AccountRow): AccountState => ({
  balance: Number(row.balance) as Balance,
  sequence: row.last_sequence === null ? 0 : Number(row.last_sequence),
  overdraftLimit: Number(row.overdraft_limit) as OverdraftLimit,
  held: Number(row.held),
  holdsPlaced: Number(row.holds_placed),
})

const numberOrNull = (value: bigint | null) => (value === null ? null : Number(value))

export const entryOf = (row: EntryRow): Entry => ({
  accountId: row.account_id as AccountId,
  sequence: Number(row.sequence),
  kind: row.kind,
  decision: row.decision,
  requested: Number(row.requested),
  amount: Number(row.amount),
  balanceAfter: Number(row.balance_after) as Balance,
  idempotencyKey: row.idempotency_key,
  reference: row.reference,
  holdId: numberOrNull(row.hold_id),
  refundOf: numberOrNull(row.refund_of),
  reason: row.reason,
  actor: row.actor,
  overdrawn: row.overdrawn,
  metadata: row.metadata,
  createdAt: row.created_at.toISOString(),
})

/**
 * A hold as recorded in an idempotency record's JSON, with its fields in `Hold`'s order again (jsonb
 * keeps its own key order), so a replay prints like the first answer.
 */
export const holdFromJson = (hold: Hold): Hold => ({
  accountId: hold.accountId,
  holdId: hold.holdId,
  status: hold.status,
  requested: hold.requested,
  amount: hold.amount,
  captured: hold.captured,
  excess: hold.excess,
  reference: hold.reference,
  metadata: hold.metadata,
  expiresAt: hold.expiresAt,
  createdAt: hold.createdAt,
  resolvedAt: hold.resolvedAt,
})

export const holdOf = (row: HoldRow): Hold => ({
  accountId: row.account_id as AccountId,
  holdId: Number(row.hold_id),
  status: row.status,
  requested: Number(row.requested),
  amount: Number(row.amount),
  captured: Number(row.captured),
  excess: Number(row.excess),
  reference: row.reference,
  metadata: row.metadata,
  expiresAt: row.expires_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
  resolvedAt: row.resolved_at?.toISOString() ?? null,
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
      reference: e.reference,
      hold_id: e.holdId,
      refund_of: e.refundOf,
      reason: e.reason,
      actor: e.actor,
      overdrawn: e.overdrawn,
      metadata: e.metadata,
      created_at: e.createdAt,
      operation_id: operationId,
    })),
  )}::jsonb) AS x(account_id text, sequence bigint, kind text, decision text, requested bigint, amount bigint,
                  balance_after bigint, idempotency_key text, reference text, hold_id bigint, refund_of bigint,
                  reason text, actor text, overdrawn boolean, metadata jsonb, created_at timestamptz, operation_id uuid)`

/** Holds as a relation with `holdColumns`, in one JSON parameter. */
export const holdsRelation = (sql: SqlClient.SqlClient, holds: ReadonlyArray<Hold>) => sql`
  jsonb_to_recordset(${JSON.stringify(
    holds.map((h) => ({
      account_id: h.accountId,
      hold_id: h.holdId,
      status: h.status,
      requested: h.requested,
      amount: h.amount,
      captured: h.captured,
      excess: h.excess,
      reference: h.reference,
      metadata: h.metadata,
      expires_at: h.expiresAt,
      created_at: h.createdAt,
      resolved_at: h.resolvedAt,
    })),
  )}::jsonb) AS x(account_id text, hold_id bigint, status text, requested bigint, amount bigint, captured bigint,
                  excess bigint, reference text, metadata jsonb, expires_at timestamptz, created_at timestamptz,
                  resolved_at timestamptz)`
