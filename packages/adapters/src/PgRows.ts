import {
  type AccountId,
  type AccountState,
  type AutoTopUpRequest,
  AutoTopUpState,
  type Balance,
  type Entry,
  Grant,
  grantsDueAtMs,
  type Hold,
  MembersState,
  noAutoTopUp,
  noGrants,
  noMembers,
  noRefill,
  type OverdraftLimit,
  type PendingCredit,
  type RefillRecord,
  RefillState,
  refillDueAtMs,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { SqlClient } from "effect/sql"

/** How accounts, entries, holds and auto top-up requests look in PostgreSQL, and how they map to the domain. */

export interface AccountRow {
  readonly account_id: string
  readonly balance: bigint
  readonly last_sequence: bigint | null
  readonly overdraft_limit: bigint
  readonly held: bigint
  readonly holds_placed: bigint
  /** Null until auto top-up is configured: `noAutoTopUp`. */
  readonly auto_top_up: unknown
  /** Null until refills are configured: `noRefill`. */
  readonly refill: unknown
  /** Null until the account has a grant: `noGrants`. */
  readonly grants: unknown
  /** Null until member limits are set: `noMembers`. */
  readonly members: unknown
  /** Bumped by every write to the account (`PgMigrations`' `7_account_versions`). */
  readonly version: bigint
}

/** An account's state as some write committed it, and the version that write left; version 0: no row. */
export interface Known {
  readonly state: AccountState
  readonly version: number
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
  /** Null on an entry that touched no grant. */
  readonly allocations: Entry["allocations"] | null
  /** Null on an entry that names no member. */
  readonly member: string | null
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
  readonly member: string | null
}

export const accountColumns =
  "account_id, balance, last_sequence, overdraft_limit, held, holds_placed, auto_top_up, refill, grants, members, version"

const entryWrittenColumns =
  "account_id, sequence, kind, decision, requested, amount, balance_after, idempotency_key, reference, hold_id, refund_of, reason, actor, overdrawn, metadata, created_at"

export const entryColumns = `${entryWrittenColumns}, allocations, member`

export const holdColumns =
  "account_id, hold_id, status, requested, amount, captured, excess, reference, metadata, expires_at, created_at, resolved_at, member"

// What is written is checked when it is read; an account that never configured them decodes nothing.
const decodeAutoTopUp = Schema.decodeUnknownSync(AutoTopUpState)
const decodeRefill = Schema.decodeUnknownSync(RefillState)
const decodeGrants = Schema.decodeUnknownSync(Schema.Array(Grant))
const decodeMembers = Schema.decodeUnknownSync(MembersState)

export const stateOf = (row: AccountRow): AccountState => ({
  balance: Number(row.balance) as Balance,
  sequence: row.last_sequence === null ? 0 : Number(row.last_sequence),
  overdraftLimit: Number(row.overdraft_limit) as OverdraftLimit,
  held: Number(row.held),
  holdsPlaced: Number(row.holds_placed),
  autoTopUp: row.auto_top_up === null ? noAutoTopUp : decodeAutoTopUp(row.auto_top_up),
  refill: row.refill === null ? noRefill : decodeRefill(row.refill),
  grants: row.grants === null || row.grants === undefined ? noGrants : decodeGrants(row.grants),
  members: row.members === null || row.members === undefined ? noMembers : decodeMembers(row.members),
})

export const knownOf = (row: AccountRow): Known => ({ state: stateOf(row), version: Number(row.version) })

/** An account's auto top-up and refill columns as one row of `jsonb_to_recordset`. */
export const settingsColumnsOf = (accountId: string, state: AccountState) => {
  const dueAtMs = refillDueAtMs(state.refill)
  return {
    account_id: accountId,
    auto_top_up: state.autoTopUp === noAutoTopUp ? null : state.autoTopUp,
    refill: state.refill === noRefill ? null : state.refill,
    refill_due_at: dueAtMs === null ? null : new Date(dueAtMs).toISOString(),
  }
}

/** An account's grants columns as one row of `jsonb_to_recordset`. */
export const grantsColumnsOf = (accountId: string, state: AccountState) => {
  const dueAtMs = grantsDueAtMs(state)
  return {
    account_id: accountId,
    grants: state.grants.length === 0 ? null : state.grants,
    grants_due_at: dueAtMs === null ? null : new Date(dueAtMs).toISOString(),
  }
}

/** An account's members column as one row of `jsonb_to_recordset`. */
export const membersColumnsOf = (accountId: string, state: AccountState) => ({
  account_id: accountId,
  members: state.members === noMembers ? null : state.members,
})

export interface AutoTopUpRequestRow {
  readonly account_id: string
  readonly request_id: bigint
  readonly status: AutoTopUpRequest["status"]
  readonly amount: bigint
  readonly amount_configured: bigint
  readonly threshold: bigint
  readonly ceiling: bigint | null
  readonly available_at_open: bigint
  readonly balance_at_open: bigint
  readonly opened_at: Date
  readonly expires_at: Date
  readonly resolved_at: Date | null
  readonly payment_reference: string | null
  readonly entry_sequence: bigint | null
  readonly failure_reason: string | null
}

export const autoTopUpRequestColumns =
  "account_id, request_id, status, amount, amount_configured, threshold, ceiling, available_at_open, balance_at_open, opened_at, expires_at, resolved_at, payment_reference, entry_sequence, failure_reason"

export const autoTopUpRequestOf = (row: AutoTopUpRequestRow): AutoTopUpRequest =>
  ({
    accountId: row.account_id,
    requestId: Number(row.request_id),
    status: row.status,
    amount: Number(row.amount),
    amountConfigured: Number(row.amount_configured),
    threshold: Number(row.threshold),
    ceiling: row.ceiling === null ? null : Number(row.ceiling),
    availableAtOpen: Number(row.available_at_open),
    balanceAtOpen: Number(row.balance_at_open),
    openedAt: row.opened_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    paymentReference: row.payment_reference,
    entrySequence: row.entry_sequence === null ? null : Number(row.entry_sequence),
    failureReason: row.failure_reason,
  }) as AutoTopUpRequest

/**
 * A request as recorded in an idempotency record's JSON, with its fields in `AutoTopUpRequest`'s
 * order again (jsonb keeps its own key order), so a replay prints like the first answer.
 */
export const autoTopUpRequestFromJson = (request: AutoTopUpRequest): AutoTopUpRequest => ({
  accountId: request.accountId,
  requestId: request.requestId,
  status: request.status,
  amount: request.amount,
  amountConfigured: request.amountConfigured,
  threshold: request.threshold,
  ceiling: request.ceiling,
  availableAtOpen: request.availableAtOpen,
  balanceAtOpen: request.balanceAtOpen,
  openedAt: request.openedAt,
  expiresAt: request.expiresAt,
  resolvedAt: request.resolvedAt,
  paymentReference: request.paymentReference,
  entrySequence: request.entrySequence,
  failureReason: request.failureReason,
})

/** Requests as a relation with `autoTopUpRequestColumns` and the writing operation's id, in one JSON parameter. */
export const autoTopUpRequestsRelation = (
  sql: SqlClient.SqlClient,
  writes: ReadonlyArray<{ readonly request: AutoTopUpRequest; readonly operationId: string }>,
) => sql`
  jsonb_to_recordset(${JSON.stringify(
    writes.map(({ request: r, operationId }) => ({
      account_id: r.accountId,
      request_id: r.requestId,
      status: r.status,
      amount: r.amount,
      amount_configured: r.amountConfigured,
      threshold: r.threshold,
      ceiling: r.ceiling,
      available_at_open: r.availableAtOpen,
      balance_at_open: r.balanceAtOpen,
      opened_at: r.openedAt,
      expires_at: r.expiresAt,
      resolved_at: r.resolvedAt,
      payment_reference: r.paymentReference,
      entry_sequence: r.entrySequence,
      failure_reason: r.failureReason,
      operation_id: operationId,
    })),
  )}::jsonb) AS x(account_id text, request_id bigint, status text, amount bigint, amount_configured bigint,
                  threshold bigint, ceiling bigint, available_at_open bigint, balance_at_open bigint,
                  opened_at timestamptz, expires_at timestamptz, resolved_at timestamptz, payment_reference text,
                  entry_sequence bigint, failure_reason text, operation_id uuid)`

/** Settled refill periods as a relation, with the writing operation's id, in one JSON parameter. */
export const refillsRelation = (
  sql: SqlClient.SqlClient,
  writes: ReadonlyArray<{ readonly refill: RefillRecord; readonly operationId: string }>,
) => sql`
  jsonb_to_recordset(${JSON.stringify(
    writes.map(({ refill: r, operationId }) => ({
      account_id: r.accountId,
      period_start: r.periodStart,
      period_end: r.periodEnd,
      decision: r.decision,
      entry_sequence: r.entrySequence,
      created_at: r.createdAt,
      operation_id: operationId,
    })),
  )}::jsonb) AS x(account_id text, period_start timestamptz, period_end timestamptz, decision text,
                  entry_sequence bigint, created_at timestamptz, operation_id uuid)`

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
  ...(row.member === null || row.member === undefined ? {} : { member: row.member }),
  // In `Allocation`'s order again (jsonb keeps its own key order), so a replay prints like the first answer.
  ...(row.allocations === null || row.allocations === undefined
    ? {}
    : { allocations: row.allocations.map(({ grantId, amount }) => ({ grantId, amount })) }),
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
  ...(hold.member === undefined ? {} : { member: hold.member }),
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
  ...(row.member === null ? {} : { member: row.member }),
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

/**
 * The columns the one-statement path writes an entry with when no entry of its batch draws on grants:
 * all but its allocations.
 */
export const entryWriteColumns = `${entryWrittenColumns}, operation_id, member`

/** The columns an entry is written with, allocations included: `entriesRelation`'s. */
export const lockedEntryWriteColumns = `${entryWriteColumns}, allocations`

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
      member: e.member ?? null,
      allocations: e.allocations ?? null,
    })),
  )}::jsonb) AS x(account_id text, sequence bigint, kind text, decision text, requested bigint, amount bigint,
                  balance_after bigint, idempotency_key text, reference text, hold_id bigint, refund_of bigint,
                  reason text, actor text, overdrawn boolean, metadata jsonb, created_at timestamptz, operation_id uuid,
                  member text, allocations jsonb)`

export interface GrantRow {
  readonly account_id: string
  readonly grant_id: bigint
  readonly status: Grant["status"]
  readonly amount: bigint
  readonly remaining: bigint
  readonly expired: bigint
  readonly priority: number
  readonly expires_at: Date | null
  readonly created_at: Date
  readonly updated_at: Date
  readonly warned_at: Date | null
}

export const grantColumns =
  "account_id, grant_id, status, amount, remaining, expired, priority, expires_at, created_at, updated_at, warned_at"

export const grantOf = (row: GrantRow): Grant => ({
  accountId: row.account_id as AccountId,
  grantId: Number(row.grant_id),
  status: row.status,
  amount: Number(row.amount),
  remaining: Number(row.remaining),
  expired: Number(row.expired),
  priority: Number(row.priority),
  expiresAt: row.expires_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  warnedAt: row.warned_at?.toISOString() ?? null,
})

/** Grants as a relation with `grantColumns`, in one JSON parameter. */
export const grantsRelation = (sql: SqlClient.SqlClient, grants: ReadonlyArray<Grant>) => sql`
  jsonb_to_recordset(${JSON.stringify(
    grants.map((g) => ({
      account_id: g.accountId,
      grant_id: g.grantId,
      status: g.status,
      amount: g.amount,
      remaining: g.remaining,
      expired: g.expired,
      priority: g.priority,
      expires_at: g.expiresAt,
      created_at: g.createdAt,
      updated_at: g.updatedAt,
      warned_at: g.warnedAt,
    })),
  )}::jsonb) AS x(account_id text, grant_id bigint, status text, amount bigint, remaining bigint, expired bigint,
                  priority smallint, expires_at timestamptz, created_at timestamptz, updated_at timestamptz,
                  warned_at timestamptz)`

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
      member: h.member ?? null,
    })),
  )}::jsonb) AS x(account_id text, hold_id bigint, status text, requested bigint, amount bigint, captured bigint,
                  excess bigint, reference text, metadata jsonb, expires_at timestamptz, created_at timestamptz,
                  resolved_at timestamptz, member text)`

export interface PendingCreditRow {
  readonly account_id: string
  readonly pending_credit_id: bigint
  readonly status: PendingCredit["status"]
  readonly kind: PendingCredit["kind"]
  readonly amount: bigint
  readonly ceiling: bigint | null
  readonly reference: string | null
  readonly metadata: PendingCredit["metadata"]
  readonly grant_expires_at: Date | null
  readonly grant_priority: number | null
  readonly created_at: Date
  readonly expires_at: Date
  readonly resolved_at: Date | null
  readonly entry_sequence: bigint | null
}

export const pendingCreditColumns =
  "account_id, pending_credit_id, status, kind, amount, ceiling, reference, metadata, grant_expires_at, grant_priority, created_at, expires_at, resolved_at, entry_sequence"

export const pendingCreditOf = (row: PendingCreditRow): PendingCredit =>
  ({
    accountId: row.account_id,
    pendingCreditId: Number(row.pending_credit_id),
    status: row.status,
    kind: row.kind,
    amount: Number(row.amount),
    ceiling: numberOrNull(row.ceiling),
    reference: row.reference,
    metadata: row.metadata,
    grantExpiresAt: row.grant_expires_at?.toISOString() ?? null,
    grantPriority: row.grant_priority === null ? null : Number(row.grant_priority),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    entrySequence: numberOrNull(row.entry_sequence),
  }) as PendingCredit

/**
 * A pending credit as recorded in an idempotency record's JSON, with its fields in `PendingCredit`'s
 * order again (jsonb keeps its own key order), so a replay prints like the first answer.
 */
export const pendingCreditFromJson = (credit: PendingCredit): PendingCredit => ({
  accountId: credit.accountId,
  pendingCreditId: credit.pendingCreditId,
  status: credit.status,
  kind: credit.kind,
  amount: credit.amount,
  ceiling: credit.ceiling,
  reference: credit.reference,
  metadata: credit.metadata,
  grantExpiresAt: credit.grantExpiresAt,
  grantPriority: credit.grantPriority,
  createdAt: credit.createdAt,
  expiresAt: credit.expiresAt,
  resolvedAt: credit.resolvedAt,
  entrySequence: credit.entrySequence,
})

/** Pending credits as a relation with `pendingCreditColumns` and the writing operation's id, in one JSON parameter. */
export const pendingCreditsRelation = (
  sql: SqlClient.SqlClient,
  writes: ReadonlyArray<{ readonly pendingCredit: PendingCredit; readonly operationId: string }>,
) => sql`
  jsonb_to_recordset(${JSON.stringify(
    writes.map(({ pendingCredit: c, operationId }) => ({
      account_id: c.accountId,
      pending_credit_id: c.pendingCreditId,
      status: c.status,
      kind: c.kind,
      amount: c.amount,
      ceiling: c.ceiling,
      reference: c.reference,
      metadata: c.metadata,
      grant_expires_at: c.grantExpiresAt,
      grant_priority: c.grantPriority,
      created_at: c.createdAt,
      expires_at: c.expiresAt,
      resolved_at: c.resolvedAt,
      entry_sequence: c.entrySequence,
      operation_id: operationId,
    })),
  )}::jsonb) AS x(account_id text, pending_credit_id bigint, status text, kind text, amount bigint, ceiling bigint,
                  reference text, metadata jsonb, grant_expires_at timestamptz, grant_priority smallint,
                  created_at timestamptz, expires_at timestamptz, resolved_at timestamptz, entry_sequence bigint,
                  operation_id uuid)`
