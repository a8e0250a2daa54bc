import {
  type AccountBalances,
  type AccountState,
  type AutoTopUpRequest,
  type Entry,
  type Grant,
  type Hold,
  type IdempotencyKey,
  type IdempotencyRecord,
  newAccountState,
  type Outcome,
  type PendingCredit,
  type RefillRecord,
  type RefundTarget,
  RuleRejection,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { SqlClient } from "effect/sql"
import * as PgEvents from "./PgEvents.ts"
import type { Decided, Landmarks, Operation } from "./PgOperation.ts"
import {
  type AccountRow,
  type AutoTopUpRequestRow,
  accountColumns,
  autoTopUpRequestColumns,
  autoTopUpRequestFromJson,
  autoTopUpRequestOf,
  autoTopUpRequestsRelation,
  type EntryRow,
  type EntryWrite,
  entriesRelation,
  entryColumns,
  entryOf,
  grantColumns,
  grantsColumnsOf,
  grantsRelation,
  type HoldRow,
  holdColumns,
  holdFromJson,
  holdOf,
  holdsRelation,
  type Known,
  knownOf,
  lockedEntryWriteColumns,
  membersColumnsOf,
  type PendingCreditRow,
  pendingCreditColumns,
  pendingCreditFromJson,
  pendingCreditOf,
  pendingCreditsRelation,
  refillsRelation,
  settingsColumnsOf,
} from "./PgRows.ts"

const encodeRefusal = Schema.encodeSync(RuleRejection)
const decodeRefusal = Schema.decodeUnknownSync(RuleRejection)

/** A row's key within its account: an idempotency key, a hold id, an entry's sequence. */
const keyOf = (accountId: string, key: string | number) => `${accountId}\u0000${key}`

interface RequestWrite {
  readonly request: AutoTopUpRequest
  readonly operationId: string
}

interface RefillWrite {
  readonly refill: RefillRecord
  readonly operationId: string
}

interface NewRecord {
  readonly accountId: string
  readonly operationId: string
  readonly record: IdempotencyRecord
}

/** What a hold operation's record keeps besides its entry: the hold and the account as it left them. */
interface HoldOutcome {
  readonly hold: Hold
  readonly balances: AccountBalances
}

/** What a completion's or a failure's record keeps besides its entry: the request as it left it. */
interface AutoTopUpOutcome {
  readonly request: AutoTopUpRequest
}

/** What a pending credit operation's record keeps besides its entry: the credit and the account as it left them. */
interface PendingCreditOutcome {
  readonly pendingCredit: PendingCredit
  readonly balances: AccountBalances
}

interface PendingCreditWrite {
  readonly pendingCredit: PendingCredit
  readonly operationId: string
}

type StoredOutcome = HoldOutcome | AutoTopUpOutcome | PendingCreditOutcome

/** Each column a record's outcome is stored in; exactly one of refusal and (entry, outcome) is set. */
export const recordColumns = (outcome: Outcome) => {
  switch (outcome._tag) {
    case "Posted":
      return { entry_sequence: outcome.entry.sequence, refusal: null, outcome: null }
    case "HoldChanged":
      return {
        entry_sequence: outcome.entry?.sequence ?? null,
        refusal: null,
        outcome: { hold: outcome.hold, balances: outcome.balances } satisfies HoldOutcome,
      }
    case "AutoTopUpChanged":
      return {
        entry_sequence: outcome.entry?.sequence ?? null,
        refusal: null,
        outcome: { request: outcome.request } satisfies AutoTopUpOutcome,
      }
    case "PendingCreditChanged":
      return {
        entry_sequence: outcome.entry?.sequence ?? null,
        refusal: null,
        outcome: { pendingCredit: outcome.pendingCredit, balances: outcome.balances } satisfies PendingCreditOutcome,
      }
    case "Refused":
      return { entry_sequence: null, refusal: encodeRefusal(outcome.error), outcome: null }
  }
}

/** A record's outcome as read back from its columns. */
const balancesFromJson = (balances: AccountBalances): AccountBalances => ({
  balance: balances.balance,
  held: balances.held,
  available: balances.available,
})

const outcomeOf = (entry: Entry | null, refusal: unknown, outcome: StoredOutcome | null): Outcome => {
  if (outcome !== null && "pendingCredit" in outcome) {
    return {
      _tag: "PendingCreditChanged",
      pendingCredit: pendingCreditFromJson(outcome.pendingCredit),
      entry,
      balances: balancesFromJson(outcome.balances),
    }
  }
  if (outcome !== null && "request" in outcome) {
    return { _tag: "AutoTopUpChanged", request: autoTopUpRequestFromJson(outcome.request), entry }
  }
  if (outcome !== null) {
    return {
      _tag: "HoldChanged",
      hold: holdFromJson(outcome.hold),
      entry,
      balances: balancesFromJson(outcome.balances),
    }
  }
  return entry !== null ? { _tag: "Posted", entry } : { _tag: "Refused", error: decodeRefusal(refusal) }
}

/** An entry as `to_jsonb` writes it: int8 columns as numbers (every amount is a safe integer), its time as text. */
type EntryJson = Omit<
  EntryRow,
  "sequence" | "requested" | "amount" | "balance_after" | "hold_id" | "refund_of" | "created_at"
> & {
  readonly sequence: number
  readonly requested: number
  readonly amount: number
  readonly balance_after: number
  readonly hold_id: number | null
  readonly refund_of: number | null
  readonly created_at: string
}

/** An idempotency record as a statement answers it in JSON, with the entry its outcome names. */
export interface RecordJson {
  readonly key: string
  readonly fingerprint: string
  readonly refusal: unknown
  readonly outcome: StoredOutcome | null
  readonly entry: EntryJson | null
}

const bigIntOrNull = (value: number | null) => (value === null ? null : BigInt(value))

/** A record as a statement answers it in JSON, as `loadKeys` reads it from its columns. */
export const recordFromJson = ({ key, fingerprint, refusal, outcome, entry }: RecordJson): IdempotencyRecord => ({
  key: key as IdempotencyKey,
  fingerprint,
  outcome: outcomeOf(
    entry === null
      ? null
      : entryOf({
          ...entry,
          sequence: BigInt(entry.sequence),
          requested: BigInt(entry.requested),
          amount: BigInt(entry.amount),
          balance_after: BigInt(entry.balance_after),
          hold_id: bigIntOrNull(entry.hold_id),
          refund_of: bigIntOrNull(entry.refund_of),
          created_at: new Date(entry.created_at),
        }),
    refusal,
    outcome,
  ),
})

/**
 * A batch of operations as one transaction, reading top to bottom: lock the batch's accounts in id
 * order (so batches never deadlock each other), load what the operations touch (their keys'
 * records, the holds and refunded entries they name), let each operation's pure step decide on the
 * running state in arrival order, write every entry, key, hold and account in one statement. The
 * caller runs it in a transaction, commits and retries.
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
  const lockBatchAccounts = Effect.fnUntraced(function* (ids: ReadonlyArray<string>) {
    const rows = yield* lockAccounts(ids)
    const states = new Map(rows.map((row) => [row.account_id, knownOf(row)]))
    const missing = ids.filter((id) => !states.has(id))
    if (missing.length === 0) return { states, created: [] }
    const created = yield* sql<{ account_id: string }>`
        INSERT INTO accounts (account_id)
        SELECT id FROM unnest(${missing}::text[]) AS ids(id) ORDER BY id
        ON CONFLICT DO NOTHING RETURNING account_id`
    // Accounts another transaction created meanwhile: lock them as they stand after its commit.
    for (const row of yield* lockAccounts(missing)) states.set(row.account_id, knownOf(row))
    return { states, created: created.map((row) => row.account_id) }
  })

  const loadKeys = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
    const records = new Map<string, IdempotencyRecord>()
    const keyed = operations.filter((op) => op.idempotencyKey !== undefined)
    if (keyed.length === 0) return records
    const rows = yield* sql<
      EntryRow & {
        key: string
        fingerprint: string
        refusal: unknown
        outcome: StoredOutcome | null
        has_entry: boolean
      }
    >`
        SELECT k.idempotency_key AS key, k.fingerprint, k.refusal, k.outcome, e.sequence IS NOT NULL AS has_entry,
               k.account_id, e.sequence, e.kind, e.decision, e.requested, e.amount, e.balance_after,
               e.idempotency_key, e.reference, e.hold_id, e.refund_of, e.reason, e.actor, e.overdrawn, e.metadata,
               e.created_at, e.allocations, e.member
        FROM unnest(${keyed.map((op) => op.accountId)}::text[], ${keyed.map((op) => op.idempotencyKey!)}::text[])
          AS u(account_id, idempotency_key)
        CROSS JOIN LATERAL (
          SELECT * FROM idempotency_keys k
          WHERE k.account_id = u.account_id AND k.idempotency_key = u.idempotency_key OFFSET 0
        ) k
        LEFT JOIN LATERAL (
          SELECT * FROM entries e WHERE e.account_id = k.account_id AND e.sequence = k.entry_sequence OFFSET 0
        ) e ON true`
    for (const row of rows) {
      const key = keyOf(row.account_id, row.key)
      const outcome = outcomeOf(row.has_entry ? entryOf(row) : null, row.refusal, row.outcome)
      records.set(key, { key: row.key as IdempotencyKey, fingerprint: row.fingerprint, outcome })
    }
    return records
  })

  /**
   * A loader of the rows of `table` the operations name by account and id (`idOf`, the row's
   * `idColumn`), as committed, by `keyOf(account, id)`. Each row is found through the primary key: a lateral subquery the planner
   * cannot flatten (`OFFSET 0`), so a plan made while the table was small does not go on reading all
   * of it as it grows (`PgCasBatch`'s `accountOf` says more).
   */
  const loadById = <Row extends { readonly account_id: string }, A>(named: {
    readonly table: string
    readonly columns: string
    readonly idColumn: { readonly [K in keyof Row]: Row[K] extends bigint ? K : never }[keyof Row] & string
    readonly idOf: (op: Operation) => number | undefined
    readonly of: (row: Row) => A
  }) =>
    Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
      const loaded = new Map<string, A>()
      const naming = operations.filter((op) => named.idOf(op) !== undefined)
      if (naming.length === 0) return loaded
      const rows = yield* sql<Row>`
          SELECT t.* FROM unnest(
            ${naming.map((op) => op.accountId)}::text[],
            ${naming.map((op) => BigInt(named.idOf(op)!))}::bigint[]
          ) AS x(account_id, id)
          CROSS JOIN LATERAL (
            SELECT ${sql.literal(named.columns)} FROM ${sql(named.table)} t
            WHERE t.account_id = x.account_id AND t.${sql(named.idColumn)} = x.id OFFSET 0
          ) t`
      for (const row of rows) loaded.set(keyOf(row.account_id, Number(row[named.idColumn])), named.of(row))
      return loaded
    })

  const loadHolds = loadById<HoldRow, Hold>({
    table: "holds",
    columns: holdColumns,
    idColumn: "hold_id",
    idOf: (op) => op.holdId,
    of: holdOf,
  })
  const loadAutoTopUpRequests = loadById<AutoTopUpRequestRow, AutoTopUpRequest>({
    table: "auto_top_up_requests",
    columns: autoTopUpRequestColumns,
    idColumn: "request_id",
    idOf: (op) => op.autoTopUpRequestId,
    of: autoTopUpRequestOf,
  })
  const loadPendingCredits = loadById<PendingCreditRow, PendingCredit>({
    table: "pending_credits",
    columns: pendingCreditColumns,
    idColumn: "pending_credit_id",
    idOf: (op) => op.pendingCreditId,
    of: pendingCreditOf,
  })

  /**
   * How many pending credits each account that records one has had: its newest id, as pending credits
   * are numbered from 1 and only ever added under the account's lock.
   */
  const loadPendingCreditCounts = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
    const counts = new Map<string, number>()
    const ids = [...new Set(operations.filter((op) => op.opensPendingCredit === true).map((op) => op.accountId))]
    if (ids.length === 0) return counts
    for (const id of ids) counts.set(id, 0)
    const rows = yield* sql<{ account_id: string; opened: bigint }>`
        SELECT account_id, max(pending_credit_id) AS opened FROM pending_credits
        WHERE account_id = ANY(${ids}::text[]) GROUP BY account_id`
    for (const row of rows) counts.set(row.account_id, Number(row.opened))
    return counts
  })

  /** The entries the operations refund, with what refunds returned of them so far. */
  const loadRefundTargets = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
    const targets = new Map<string, RefundTarget>()
    const naming = operations.filter((op) => op.refundOf !== undefined)
    if (naming.length === 0) return targets
    const rows = yield* sql<EntryRow & { refunded: bigint }>`
        SELECT e.*, coalesce((SELECT -sum(r.amount) FROM entries r
                              WHERE r.account_id = e.account_id AND r.refund_of = e.sequence), 0)::bigint AS refunded
        FROM unnest(${naming.map((op) => op.accountId)}::text[], ${naming.map((op) => BigInt(op.refundOf!))}::bigint[])
          AS x(account_id, sequence)
        CROSS JOIN LATERAL (
          SELECT ${sql.literal(entryColumns)} FROM entries e
          WHERE e.account_id = x.account_id AND e.sequence = x.sequence OFFSET 0
        ) e`
    for (const row of rows) {
      targets.set(keyOf(row.account_id, Number(row.sequence)), {
        entry: entryOf(row),
        refunded: Number(row.refunded),
      })
    }
    return targets
  })

  // Numbers go as bigint: the driver infers int4 or int8 per array element from a number's size,
  // and refuses an array that mixes them. The holds part is there only when a batch changes holds,
  // so the statement of plain writes stays the same. Every account written (its state, or a key
  // recorded on it) is updated, which bumps its version (a trigger), which a compare-and-swap checks.
  const writeBatch = (
    entries: ReadonlyArray<EntryWrite>,
    records: ReadonlyArray<NewRecord>,
    holds: ReadonlyArray<Hold>,
    requests: ReadonlyArray<RequestWrite>,
    refills: ReadonlyArray<RefillWrite>,
    states: ReadonlyMap<string, AccountState>,
    untouchedCreated: ReadonlyArray<string>,
  ) => sql`
    WITH new_entries AS (
      INSERT INTO entries (${sql.literal(lockedEntryWriteColumns)})
      SELECT ${sql.literal(lockedEntryWriteColumns)} FROM ${entriesRelation(sql, entries)}
    ), new_keys AS (
      INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence, refusal, outcome,
                                    operation_id)
      SELECT account_id, idempotency_key, fingerprint, entry_sequence, refusal, outcome, operation_id
      FROM jsonb_to_recordset(${JSON.stringify(
        records.map(({ accountId, operationId, record }) => ({
          account_id: accountId,
          idempotency_key: record.key,
          fingerprint: record.fingerprint,
          ...recordColumns(record.outcome),
          operation_id: operationId,
        })),
      )}::jsonb) AS x(account_id text, idempotency_key text, fingerprint text, entry_sequence bigint, refusal jsonb,
                      outcome jsonb, operation_id uuid)
    ), ${
      holds.length === 0
        ? sql``
        : sql`changed_holds AS (
      INSERT INTO holds (${sql.literal(holdColumns)})
      SELECT ${sql.literal(holdColumns)} FROM ${holdsRelation(sql, holds)}
      ON CONFLICT (account_id, hold_id) DO UPDATE
      SET status = excluded.status, captured = excluded.captured, excess = excluded.excess,
          resolved_at = excluded.resolved_at
    ), `
    }${
      requests.length === 0
        ? sql``
        : sql`changed_requests AS (
      INSERT INTO auto_top_up_requests (${sql.literal(autoTopUpRequestColumns)}, operation_id)
      SELECT ${sql.literal(autoTopUpRequestColumns)}, operation_id FROM ${autoTopUpRequestsRelation(sql, requests)}
      ON CONFLICT (account_id, request_id) DO UPDATE
      SET status = excluded.status, resolved_at = excluded.resolved_at,
          payment_reference = excluded.payment_reference, entry_sequence = excluded.entry_sequence,
          failure_reason = excluded.failure_reason, operation_id = excluded.operation_id
    ), `
    }${
      refills.length === 0
        ? sql``
        : sql`new_refills AS (
      INSERT INTO refills (account_id, period_start, period_end, decision, entry_sequence, created_at, operation_id)
      SELECT account_id, period_start, period_end, decision, entry_sequence, created_at, operation_id
      FROM ${refillsRelation(sql, refills)}
    ), `
    }unused_accounts AS (
      DELETE FROM accounts WHERE account_id = ANY(${untouchedCreated}::text[])
    )
    UPDATE accounts a
    SET balance = x.balance, last_sequence = NULLIF(x.last_sequence, 0), overdraft_limit = x.overdraft_limit,
        held = x.held, holds_placed = x.holds_placed
    FROM unnest(
      ${[...states.keys()]}::text[],
      ${[...states.values()].map((state) => BigInt(state.balance))}::bigint[],
      ${[...states.values()].map((state) => BigInt(state.sequence))}::bigint[],
      ${[...states.values()].map((state) => BigInt(state.overdraftLimit))}::bigint[],
      ${[...states.values()].map((state) => BigInt(state.held))}::bigint[],
      ${[...states.values()].map((state) => BigInt(state.holdsPlaced))}::bigint[]
    ) AS x(account_id, balance, last_sequence, overdraft_limit, held, holds_placed)
    -- The ANY lets the planner find the rows by index; it cannot see the unnested ids' number.
    WHERE a.account_id = x.account_id AND a.account_id = ANY(${[...states.keys()]}::text[])`

  /**
   * The auto top-up and refill columns of the accounts whose transitions changed them: a statement of
   * its own, run only by batches that change them, so the statement of plain writes stays the same.
   */
  const writeSettings = (states: ReadonlyArray<readonly [string, AccountState]>) => sql`
    UPDATE accounts a
    SET auto_top_up = x.auto_top_up, refill = x.refill, refill_due_at = x.refill_due_at
    FROM jsonb_to_recordset(${JSON.stringify(states.map(([id, state]) => settingsColumnsOf(id, state)))}::jsonb)
      AS x(account_id text, auto_top_up jsonb, refill jsonb, refill_due_at timestamptz)
    WHERE a.account_id = x.account_id`

  /** The grants columns of the accounts whose transitions changed their grants, as `writeSettings`. */
  const writeAccountGrants = (states: ReadonlyArray<readonly [string, AccountState]>) => sql`
    UPDATE accounts a
    SET grants = x.grants, grants_due_at = x.grants_due_at
    FROM jsonb_to_recordset(${JSON.stringify(states.map(([id, state]) => grantsColumnsOf(id, state)))}::jsonb)
      AS x(account_id text, grants jsonb, grants_due_at timestamptz)
    WHERE a.account_id = x.account_id`

  /** The members column of the accounts whose transitions changed their member limits or usage, as `writeSettings`. */
  const writeMembers = (states: ReadonlyArray<readonly [string, AccountState]>) => sql`
    UPDATE accounts a
    SET members = x.members
    FROM jsonb_to_recordset(${JSON.stringify(states.map(([id, state]) => membersColumnsOf(id, state)))}::jsonb)
      AS x(account_id text, members jsonb)
    WHERE a.account_id = x.account_id`

  /** The grants the batch made or changed, for their listing. */
  const writeGrants = (grants: ReadonlyArray<Grant>) => sql`
    INSERT INTO grants (${sql.literal(grantColumns)})
    SELECT ${sql.literal(grantColumns)} FROM ${grantsRelation(sql, grants)}
    ON CONFLICT (account_id, grant_id) DO UPDATE
    SET status = excluded.status, remaining = excluded.remaining, expired = excluded.expired,
        updated_at = excluded.updated_at`

  /** The pending credits the batch recorded or resolved: a statement of its own, as `writeGrants`. */
  const writePendingCredits = (writes: ReadonlyArray<PendingCreditWrite>) => sql`
    INSERT INTO pending_credits (${sql.literal(pendingCreditColumns)}, operation_id)
    SELECT ${sql.literal(pendingCreditColumns)}, operation_id FROM ${pendingCreditsRelation(sql, writes)}
    ON CONFLICT (account_id, pending_credit_id) DO UPDATE
    SET status = excluded.status, resolved_at = excluded.resolved_at, entry_sequence = excluded.entry_sequence,
        operation_id = excluded.operation_id`

  /** Decides and writes the batch inside the caller's transaction; valid once it commits. */
  const decide = Effect.fnUntraced(function* (operations: ReadonlyArray<Operation>) {
    const accountIds = [...new Set(operations.map((op) => op.accountId))].sort()
    const { states, created } = yield* lockBatchAccounts(accountIds)
    const records = yield* loadKeys(operations)
    const holds = yield* loadHolds(operations)
    const requests = yield* loadAutoTopUpRequests(operations)
    const refundTargets = yield* loadRefundTargets(operations)
    const pendingCredits = yield* loadPendingCredits(operations)
    const pendingCreditCounts = yield* loadPendingCreditCounts(operations)
    const changedPendingCredits = new Map<string, PendingCreditWrite>()
    // An entry written earlier in the batch may be refunded later in it.
    const refundsInBatch = operations.some((op) => op.refundOf !== undefined)
    const changed = new Map<string, AccountState>()
    const changedHolds = new Map<string, Hold>()
    const changedRequests = new Map<string, RequestWrite>()
    const refills: Array<RefillWrite> = []
    const changedGrants = new Map<string, Grant>()
    const events: Array<PgEvents.EventWrite> = []
    const entries: Array<EntryWrite> = []
    const newRecords: Array<NewRecord> = []
    const writers = new Set<string>()
    const remember = (entry: Entry) => {
      if (entry.refundOf !== null) {
        const key = keyOf(entry.accountId, entry.refundOf)
        const target = refundTargets.get(key)
        if (target !== undefined) refundTargets.set(key, { ...target, refunded: target.refunded - entry.amount })
      }
      if (refundsInBatch) refundTargets.set(keyOf(entry.accountId, entry.sequence), { entry, refunded: 0 })
    }
    const eventLandmarks: Array<{ operationId: string }> = []
    const refillLandmarks: Array<{ accountId: string; periodStart: string; operationId: string }> = []
    const results = operations.map((operation) => {
      const { accountId, idempotencyKey, holdId, refundOf, autoTopUpRequestId, pendingCreditId, operationId, step } =
        operation
      const key = idempotencyKey === undefined ? undefined : keyOf(accountId, idempotencyKey)
      const holdKey = holdId === undefined ? undefined : keyOf(accountId, holdId)
      const requestKey = autoTopUpRequestId === undefined ? undefined : keyOf(accountId, autoTopUpRequestId)
      const transition = step({
        state: changed.get(accountId) ?? states.get(accountId)?.state ?? newAccountState,
        prior: key === undefined ? undefined : records.get(key),
        hold: holdKey === undefined ? undefined : holds.get(holdKey),
        refundTarget: refundOf === undefined ? undefined : refundTargets.get(keyOf(accountId, refundOf)),
        autoTopUpRequest: requestKey === undefined ? undefined : requests.get(requestKey),
        pendingCredit:
          pendingCreditId === undefined ? undefined : pendingCredits.get(keyOf(accountId, pendingCreditId)),
        pendingCreditsOpened: operation.opensPendingCredit === true ? pendingCreditCounts.get(accountId) : undefined,
      })
      if (transition.state !== undefined) changed.set(accountId, transition.state)
      if (transition.entry !== undefined) {
        entries.push({ entry: transition.entry, operationId })
        remember(transition.entry)
      }
      if (transition.hold !== undefined) {
        const changedKey = keyOf(accountId, transition.hold.holdId)
        holds.set(changedKey, transition.hold)
        changedHolds.set(changedKey, transition.hold)
      }
      if (transition.autoTopUpRequest !== undefined) {
        const request = transition.autoTopUpRequest
        const changedKey = keyOf(accountId, request.requestId)
        requests.set(changedKey, request)
        changedRequests.set(changedKey, { request, operationId })
      }
      if (transition.pendingCredit !== undefined) {
        const pendingCredit = transition.pendingCredit
        const changedKey = keyOf(accountId, pendingCredit.pendingCreditId)
        pendingCredits.set(changedKey, pendingCredit)
        changedPendingCredits.set(changedKey, { pendingCredit, operationId })
        const opened = pendingCreditCounts.get(accountId)
        if (opened !== undefined && pendingCredit.pendingCreditId > opened) {
          pendingCreditCounts.set(accountId, pendingCredit.pendingCreditId)
        }
      }
      if (transition.refill !== undefined) refills.push({ refill: transition.refill, operationId })
      for (const grant of transition.grants ?? []) changedGrants.set(keyOf(accountId, grant.grantId), grant)
      if (transition.events !== undefined) {
        for (const event of transition.events) events.push({ event, operationId })
      }
      if (transition.record !== undefined && key !== undefined) {
        records.set(key, transition.record)
        newRecords.push({ accountId, operationId, record: transition.record })
      } else if (transition.entry === undefined && transition.events !== undefined && transition.events.length > 0) {
        eventLandmarks.push({ operationId })
      } else if (transition.entry === undefined && transition.refill !== undefined) {
        refillLandmarks.push({ accountId, periodStart: transition.refill.periodStart, operationId })
      }
      if (transition.state !== undefined || transition.record !== undefined || transition.hold !== undefined) {
        writers.add(operationId)
      }
      return transition.result
    })
    const untouchedCreated = created.filter((id) => !changed.has(id))
    const touched = new Map(changed)
    for (const { accountId } of newRecords) {
      if (!touched.has(accountId) && !untouchedCreated.includes(accountId)) {
        touched.set(accountId, states.get(accountId)!.state)
      }
    }
    if (touched.size > 0 || untouchedCreated.length > 0) {
      // Requests by id: the one left open (the newest) is written after those resolved, so the
      // index that allows one open request per account never sees two.
      const requestWrites = [...changedRequests.values()].sort((a, b) => a.request.requestId - b.request.requestId)
      yield* writeBatch(
        entries,
        newRecords,
        [...changedHolds.values()],
        requestWrites,
        refills,
        touched,
        untouchedCreated,
      )
    }
    const settingsChanged = [...changed].filter(([id, state]) => {
      const before = states.get(id)?.state ?? newAccountState
      return state.autoTopUp !== before.autoTopUp || state.refill !== before.refill
    })
    if (settingsChanged.length > 0) yield* writeSettings(settingsChanged)
    const grantsChanged = [...changed].filter(
      ([id, state]) => state.grants !== (states.get(id)?.state ?? newAccountState).grants,
    )
    if (grantsChanged.length > 0) yield* writeAccountGrants(grantsChanged)
    const membersChanged = [...changed].filter(
      ([id, state]) => state.members !== (states.get(id)?.state ?? newAccountState).members,
    )
    if (membersChanged.length > 0) yield* writeMembers(membersChanged)
    if (changedGrants.size > 0) yield* writeGrants([...changedGrants.values()])
    if (changedPendingCredits.size > 0) yield* writePendingCredits([...changedPendingCredits.values()])
    if (events.length > 0) yield* PgEvents.append(sql, events)
    // Each UPDATE of an account bumped its version once: the batch's, and the settings', the grants' and the
    // members' if they changed.
    const settingsUpdated = new Set(settingsChanged.map(([id]) => id))
    const grantsUpdated = new Set(grantsChanged.map(([id]) => id))
    const membersUpdated = new Set(membersChanged.map(([id]) => id))
    const committed = new Map<string, Known>()
    for (const [id, known] of states) {
      if (untouchedCreated.includes(id)) continue
      const state = touched.get(id)
      const bumps =
        (state === undefined ? 0 : 1) +
        (settingsUpdated.has(id) ? 1 : 0) +
        (grantsUpdated.has(id) ? 1 : 0) +
        (membersUpdated.has(id) ? 1 : 0)
      committed.set(id, { state: state ?? known.state, version: known.version + bumps })
    }
    const keyedOperations = new Set(newRecords.map((r) => r.operationId))
    const landmarks: Landmarks = {
      entries: entries
        .filter(({ operationId }) => !keyedOperations.has(operationId))
        .map(({ entry, operationId }) => ({ accountId: entry.accountId, sequence: entry.sequence, operationId })),
      records: newRecords.map(({ accountId, operationId, record }) => ({ accountId, key: record.key, operationId })),
      events: eventLandmarks,
      refills: refillLandmarks,
    }
    return { results, accountIds, landmarks, writers, committed } satisfies Decided
  })

  return { decide, lockBatchAccounts }
}
