import { PgTypes } from "@effect/sql-pg"
import {
  type AccountState,
  type Entry,
  type Grant,
  type IdempotencyRecord,
  newAccountState,
  type Transition,
} from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { SqlClient } from "effect/sql"
import type { AccountCache } from "./AccountCache.ts"
import { type RecordJson, recordColumns, recordFromJson } from "./PgLockedBatch.ts"
import type { Decided, Landmarks, Operation } from "./PgOperation.ts"
import {
  type AccountRow,
  entryWriteColumns,
  grantColumns,
  grantsColumnsOf,
  type Known,
  knownOf,
  lockedEntryWriteColumns,
} from "./PgRows.ts"

/** The operation's account could not be settled by the statement: it takes the locked path. */
export const needsLock = Symbol("needsLock")
/** The account moved on, and the statement answered its state as it now stands: decide again on it. */
export const decideAgain = Symbol("decideAgain")

/** What one account's operations decided, and the attempt to look up if its statement went unanswered. */
export interface AccountAttempt {
  /** Indexes of its operations in the batch. */
  readonly indexes: ReadonlyArray<number>
  readonly decided: Decided
}

/**
 * Arrays typed by the caller, not inferred per element by the driver: an all-null array (no entry
 * of the batch has a reference) has no element to infer from, and numbers of both int4 and int8 size
 * would be refused.
 */
const arrayOf = (oid: number) => (values: ReadonlyArray<unknown>) => Result.getOrThrow(PgTypes.array(values, oid))
const texts = arrayOf(PgTypes.OID.text)
const int8s = arrayOf(PgTypes.OID.int8)
const bools = arrayOf(PgTypes.OID.bool)

const nullableBigInt = (value: number | null) => (value === null ? null : BigInt(value))

/**
 * What a batch's statement has to write besides states, entries and the check of its accounts'
 * versions: idempotency keys, grants. Each shape is a text of its own, built once (so the driver
 * prepares each once): a batch without keys or grants sends the smallest.
 */
interface Shape {
  /** Some operation carries an idempotency key: the keys are checked unused and records inserted. */
  readonly keys: boolean
  /** Some account's grants change: its grants columns, the grant rows and entries' allocations are written. */
  readonly grants: boolean
}

/** Each parameter's array type, in the order `parameters` sends them. */
const accountTypes = ["text", "bigint", "boolean", "bigint", "bigint", "bigint", "bigint", "bigint"]
const accountGrantsTypes = ["text", "text"]
const keyTypes = ["text", "text"]
const entryTypes = [
  ...["text", "bigint", "text", "text", "bigint", "bigint", "bigint", "text", "text", "bigint", "bigint"],
  ...["text", "text", "boolean", "text", "text", "text", "text"],
]
const allocationTypes = ["text"]
const recordTypes = ["text", "text", "text", "bigint", "text", "text", "text"]
const grantTypes = ["text", "bigint", "text", "bigint", "bigint", "bigint", "bigint", "text", "text", "text", "text"]

/**
 * Each row the batch looks up is found through its table's primary key, one lookup per row of the
 * batch: a lateral subquery that cannot be flattened (`OFFSET 0`) gives the planner no join to pick
 * but a lookup per row. Joined plainly, a connection's cached plan is the one made on its first
 * statements: on a table still small then, it hashed the batch and read the whole table, and went on
 * reading the whole table in every batch as it grew (until an ANALYZE made it plan again).
 */
const accountOf = "LATERAL (SELECT * FROM accounts a WHERE a.account_id = x.account_id OFFSET 0) a"

/**
 * The batch's keys that have a record, and their accounts, each found as `accountOf` finds an
 * account. A record the statement finds was committed before it began (it runs in autocommit) and is
 * never changed: it answers a replay as well as the locked path's read of it would.
 */
const usedKeys = (keyArrays: string) => `used_keys AS (
    SELECT k.* FROM unnest(${keyArrays}) AS u(account_id, idempotency_key)
    CROSS JOIN LATERAL (
      SELECT * FROM idempotency_keys k
      WHERE k.account_id = u.account_id AND k.idempotency_key = u.idempotency_key OFFSET 0
    ) k
  ), used AS (
    SELECT DISTINCT account_id FROM used_keys
  )`

/** A missed account's records of the batch's keys, each with the entry its outcome names (`RecordJson`). */
const usedRecords = `(
    SELECT jsonb_agg(jsonb_build_object('key', k.idempotency_key, 'fingerprint', k.fingerprint, 'refusal', k.refusal,
                                        'outcome', k.outcome, 'entry', to_jsonb(e)))
    FROM used_keys k LEFT JOIN entries e ON e.account_id = k.account_id AND e.sequence = k.entry_sequence
    WHERE k.account_id = x.account_id
  )`

/**
 * What a statement answers, less the `FROM` of its missed accounts: a row per account written (its new
 * version), then per account missed (`x` joined to its row as `a`) its state as it now stands, whether
 * one of its keys was used (`keyUsed`) and, with keys, their records.
 */
const answers = (
  keyUsed: string,
  keys: boolean,
) => `SELECT account_id, version, true AS written, false AS key_used, NULL::bigint AS balance, NULL::bigint AS last_sequence,
         NULL::bigint AS overdraft_limit, NULL::bigint AS held, NULL::bigint AS holds_placed, NULL::jsonb AS auto_top_up,
         NULL::jsonb AS refill, NULL::jsonb AS grants, NULL::jsonb AS members, NULL::jsonb AS records
  FROM written
  UNION ALL
  SELECT x.account_id, a.version, false, ${keyUsed}, a.balance, a.last_sequence,
         a.overdraft_limit, a.held, a.holds_placed, a.auto_top_up, a.refill, a.grants, a.members,
         ${keys ? usedRecords : "NULL::jsonb"}`

/**
 * The one statement. Each account of the batch is a row of `x`: the version its operations were
 * decided on (0: decided as having no row), whether they write it, and its new state. An account is
 * `written` if its version is still that one (the UPDATE re-checks it on the newest row version after
 * waiting for a concurrent writer's row lock) and none of its keys has a record already; its entries,
 * idempotency records and grants are inserted only then. An account without a state change (rule
 * rejections) is only checked. The last SELECT answers, for each account missed, its state as this
 * statement saw it, so deciding again needs no read. Parameters are numbered in the order
 * `parameters` sends them.
 */
const statementText = ({ keys, grants }: Shape) => {
  let count = 0
  const arrays = (types: ReadonlyArray<string>) => types.map((type) => `$${++count}::${type}[]`).join(", ")
  const accounts = arrays([...accountTypes, ...(grants ? accountGrantsTypes : [])])
  const accountIds = "$1::text[]"
  const keyArrays = keys ? arrays(keyTypes) : ""
  const entryArrays = arrays([...entryTypes, ...(grants ? allocationTypes : [])])
  const recordArrays = keys ? arrays(recordTypes) : ""
  const grantArrays = grants ? arrays(grantTypes) : ""
  const unused = keys ? " AND x.account_id NOT IN (SELECT account_id FROM used)" : ""
  return `
  WITH x AS (
    SELECT * FROM unnest(${accounts})
      AS x(account_id, expected, writes, balance, last_sequence, overdraft_limit, held, holds_placed${grants ? ", grants, grants_due_at" : ""})
  ), ${keys ? `${usedKeys(keyArrays)}, ` : ""}updated AS (
    UPDATE accounts a
    SET balance = x.balance, last_sequence = NULLIF(x.last_sequence, 0), overdraft_limit = x.overdraft_limit,
        held = x.held, holds_placed = x.holds_placed${grants ? ", grants = x.grants::jsonb, grants_due_at = x.grants_due_at::timestamptz" : ""}
    FROM x
    WHERE a.account_id = x.account_id AND a.account_id = ANY(${accountIds}) AND x.writes AND x.expected > 0
      AND a.version = x.expected${unused}
    RETURNING a.account_id, a.version
  ), created AS (
    INSERT INTO accounts (account_id, balance, last_sequence, overdraft_limit, held, holds_placed${grants ? ", grants, grants_due_at" : ""}, version)
    SELECT account_id, balance, NULLIF(last_sequence, 0), overdraft_limit, held, holds_placed${grants ? ", grants::jsonb, grants_due_at::timestamptz" : ""}, 1 FROM x
    WHERE x.writes AND x.expected = 0${unused}
    ON CONFLICT DO NOTHING
    RETURNING account_id, version
  ), checked AS (
    SELECT x.account_id, x.expected AS version FROM x LEFT JOIN ${accountOf} ON true
    WHERE NOT x.writes AND coalesce(a.version, 0) = x.expected${unused}
  ), written AS (
    SELECT account_id, version FROM updated
    UNION ALL SELECT account_id, version FROM created
    UNION ALL SELECT account_id, version FROM checked
  ), new_entries AS (
    INSERT INTO entries (${grants ? lockedEntryWriteColumns : entryWriteColumns})
    SELECT account_id, sequence, kind, decision, requested, amount, balance_after, idempotency_key, reference,
           hold_id, refund_of, reason, actor, overdrawn, metadata::jsonb, created_at::timestamptz, operation_id::uuid,
           member${grants ? ", allocations::jsonb" : ""}
    FROM unnest(${entryArrays})
      AS e(account_id, sequence, kind, decision, requested, amount, balance_after, idempotency_key, reference,
           hold_id, refund_of, reason, actor, overdrawn, metadata, created_at, operation_id, member${grants ? ", allocations" : ""})
    WHERE e.account_id IN (SELECT account_id FROM written)
  )${
    keys
      ? `, new_keys AS (
    INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence, refusal, outcome,
                                  operation_id)
    SELECT account_id, idempotency_key, fingerprint, entry_sequence, refusal::jsonb, outcome::jsonb, operation_id::uuid
    FROM unnest(${recordArrays})
      AS r(account_id, idempotency_key, fingerprint, entry_sequence, refusal, outcome, operation_id)
    WHERE r.account_id IN (SELECT account_id FROM written)
  )`
      : ""
  }${
    grants
      ? `, changed_grants AS (
    INSERT INTO grants (${grantColumns})
    SELECT account_id, grant_id, status, amount, remaining, expired, priority, expires_at::timestamptz,
           created_at::timestamptz, updated_at::timestamptz, warned_at::timestamptz
    FROM unnest(${grantArrays}) AS g(${grantColumns})
    WHERE g.account_id IN (SELECT account_id FROM written)
    ON CONFLICT (account_id, grant_id) DO UPDATE
    SET status = excluded.status, remaining = excluded.remaining, expired = excluded.expired,
        updated_at = excluded.updated_at
  )`
      : ""
  }
  ${answers(keys ? "x.account_id IN (SELECT account_id FROM used)" : "false", keys)}
  FROM x LEFT JOIN ${accountOf} ON true
  WHERE x.account_id NOT IN (SELECT account_id FROM written)`
}

/** Every shape's text, built once: indexed by `shapeIndex`. */
const statementTexts = [false, true].flatMap((grants) => [false, true].map((keys) => statementText({ keys, grants })))
const shapeIndex = ({ keys, grants }: Shape) => (grants ? 2 : 0) + (keys ? 1 : 0)

/**
 * What a lone write does to its account's row: update it (it has one, at the version decided on),
 * create it (it had none), or only check it is still at that version (a rule rejection, a refusal's
 * record).
 */
type LoneAccount = "update" | "create" | "check"

/**
 * A batch of one account with at most one entry and one key, and no grants (a lone write), is sent a
 * text of its own: the same checks and the same rows as `statementText`, its values as scalar
 * parameters rather than arrays of one (nothing to encode as arrays, nothing to `unnest`).
 * Measured against the arrays (`bench/cpu-per-operation.ts solo 1000`, four pairs each, under load),
 * a lone write costs PostgreSQL 7-16% less unkeyed and 14-29% less keyed; Node's CPU moved within
 * its noise (encoding the arrays was about 10 µs of a write's). Each case of its account
 * (`LoneAccount`) is a text of its own, with only that case's part: a statement-level trigger runs
 * for every INSERT or UPDATE a statement holds, rows or none, and the chain's checks on `accounts`
 * are such triggers (migration 15). Nullable values go typed, so each text is prepared once whatever
 * the values, and PostgreSQL keeps a generic plan for it (planning each execution afresh cost more
 * than the text saves). Parameters: the account's as in `statementText` ($1-$8), whether an entry is
 * written and its columns ($9-$26), and with keys the key checked unused (its record answered when
 * it was used, as `usedRecords` does), whether a record is inserted and its columns ($27-$34).
 */
const loneStatementText = (keys: boolean, account: LoneAccount) => {
  const unused = keys ? " AND NOT EXISTS (SELECT FROM used)" : ""
  const written = {
    update: `UPDATE accounts a
    SET balance = x.balance, last_sequence = NULLIF(x.last_sequence, 0), overdraft_limit = x.overdraft_limit,
        held = x.held, holds_placed = x.holds_placed
    FROM x
    WHERE a.account_id = $1::text AND a.version = x.expected${unused}
    RETURNING a.account_id, a.version`,
    create: `INSERT INTO accounts (account_id, balance, last_sequence, overdraft_limit, held, holds_placed, version)
    SELECT account_id, balance, NULLIF(last_sequence, 0), overdraft_limit, held, holds_placed, 1 FROM x${
      keys ? " WHERE NOT EXISTS (SELECT FROM used)" : ""
    }
    ON CONFLICT DO NOTHING
    RETURNING account_id, version`,
    check: `SELECT x.account_id, x.expected AS version FROM x
    WHERE coalesce((SELECT version FROM accounts WHERE account_id = $1::text), 0) = x.expected${unused}`,
  }[account]
  return `
  WITH x AS (
    SELECT $1::text AS account_id, $2::bigint AS expected, $3::boolean AS writes, $4::bigint AS balance,
           $5::bigint AS last_sequence, $6::bigint AS overdraft_limit, $7::bigint AS held, $8::bigint AS holds_placed
  ), ${
    keys
      ? `used_keys AS (
    SELECT * FROM idempotency_keys WHERE account_id = $1::text AND idempotency_key = $27::text
  ), used AS (
    SELECT FROM used_keys
  ), `
      : ""
  }written AS (
    ${written}
  ), new_entries AS (
    INSERT INTO entries (${entryWriteColumns})
    SELECT $1::text, $10::bigint, $11::text, $12::text, $13::bigint, $14::bigint, $15::bigint, $16::text, $17::text,
           $18::bigint, $19::bigint, $20::text, $21::text, $22::boolean, $23::jsonb, $24::timestamptz, $25::uuid, $26::text
    WHERE $9::boolean AND EXISTS (SELECT FROM written)
  )${
    keys
      ? `, new_keys AS (
    INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, entry_sequence, refusal, outcome,
                                  operation_id)
    SELECT $1::text, $29::text, $30::text, $31::bigint, $32::jsonb, $33::jsonb, $34::uuid
    WHERE $28::boolean AND EXISTS (SELECT FROM written)
  )`
      : ""
  }
  ${answers(keys ? "EXISTS (SELECT FROM used)" : "false", keys)}
  FROM x LEFT JOIN accounts a ON a.account_id = $1::text
  WHERE NOT EXISTS (SELECT FROM written)`
}

const loneTexts = (account: LoneAccount) => [false, true].map((keys) => loneStatementText(keys, account))
/** The lone write's texts, built once: by its account's case, then without keys and with. */
const loneStatementTexts: Record<LoneAccount, ReadonlyArray<string>> = {
  update: loneTexts("update"),
  create: loneTexts("create"),
  check: loneTexts("check"),
}

type Row = Omit<AccountRow, "version"> & {
  readonly version: bigint | null
  readonly written: boolean
  readonly key_used: boolean
  /** The records of its keys the statement found, when some were. */
  readonly records: ReadonlyArray<RecordJson> | null
}

/**
 * The answers of an account whose every operation replays a key the statement found used: each
 * decided again by the pure core with its key's record (the same request: the first outcome; another
 * request: a conflict), none writing anything. Undefined when some operation would write: the account
 * then takes the locked path with all its operations, as before.
 */
const replays = (
  operations: ReadonlyArray<Operation>,
  indexes: ReadonlyArray<number>,
  state: AccountState,
  found: ReadonlyArray<RecordJson>,
): ReadonlyArray<unknown> | undefined => {
  const records = new Map(found.map((json) => [json.key, recordFromJson(json)]))
  const results: Array<unknown> = []
  for (const index of indexes) {
    const { idempotencyKey, step } = operations[index]!
    const prior = idempotencyKey === undefined ? undefined : records.get(idempotencyKey)
    if (prior === undefined) return undefined
    const transition = step({ state, prior })
    if (Object.entries(transition).some(([field, value]) => field !== "result" && value !== undefined)) return undefined
    results.push(transition.result)
  }
  return results
}

/** What the batch's operations on one account decided. */
interface AccountPlan {
  readonly accountId: string
  readonly known: Known | undefined
  state: AccountState
  changed: boolean
  /** An operation needs what the statement cannot do: every operation of the account takes the locked path. */
  locked: boolean
  readonly indexes: Array<number>
  readonly results: Array<unknown>
  readonly entries: Array<{ readonly entry: Entry; readonly operationId: string; readonly keyed: boolean }>
  readonly records: Array<{ readonly operationId: string; readonly record: IdempotencyRecord }>
  readonly keys: Set<string>
  readonly writers: Set<string>
  /** The grants its operations made or changed, by id: the last change of each. */
  readonly grants: Map<number, Grant>
}

/**
 * Whether the statement can write all of the transition: its state's balance, counters and grants, an
 * entry with its allocations and member, a record, the grants it makes or draws. A write that counts a
 * member's usage against its limit takes the locked path (which writes the account's members).
 */
const plain = (known: AccountState, transition: Transition<unknown>) =>
  transition.events === undefined &&
  transition.autoTopUpRequest === undefined &&
  transition.refill === undefined &&
  transition.hold === undefined &&
  (transition.state === undefined ||
    (transition.state.autoTopUp === known.autoTopUp &&
      transition.state.refill === known.refill &&
      transition.state.members === known.members))

/** The version the account's operations were decided on: 0 when decided as having no row. */
const expectedOf = (plan: AccountPlan) => plan.known?.version ?? 0

/** Whether the account's row is written: an account with no row and only a key's refusal recorded keeps having none. */
const writesRow = (plan: AccountPlan) => plan.changed || (plan.records.length > 0 && expectedOf(plan) > 0)

const loneAccountOf = (plan: AccountPlan): LoneAccount =>
  !writesRow(plan) ? "check" : expectedOf(plan) > 0 ? "update" : "create"

/** Whether the account's grants change: its statement has to write them. */
const changesGrants = (plan: AccountPlan) =>
  plan.grants.size > 0 || plan.state.grants !== (plan.known?.state ?? newAccountState).grants

/**
 * A batch written by one statement in autocommit, without a transaction: each operation's step
 * decides on its account as this process last saw it (the cache; an account it has not seen is
 * decided as new), keyed writes included (a key's record is assumed absent, and the statement checks
 * it is). The statement is a compare-and-swap per account on its version: the accounts still at the
 * version decided on are written with their entries and records, the others are left untouched and
 * their state as it now stands comes back, so their operations can be decided again at once. An
 * account whose keys were used before comes back with their records: if every operation of it
 * replays one, they are answered from them (`replays`). Otherwise such an account, or one of whose
 * operations needs more than the statement writes (a hold, a refund, an auto top-up request, events,
 * a refill, a settings change), takes the locked path with all its operations, in order.
 *
 * `sent` hears what each account decided just before the statement goes, on a connection already
 * held (a server that refuses connections has been sent nothing): if the connection drops then, the
 * statement may or may not have run, each account's part whole or not at all.
 */
export const make = (sql: SqlClient.SqlClient, cache: AccountCache) => {
  const decide = (operations: ReadonlyArray<Operation>) => {
    const plans = new Map<string, AccountPlan>()
    const answers = new Array<unknown>(operations.length)
    operations.forEach((operation, index) => {
      const { accountId, idempotencyKey } = operation
      let plan = plans.get(accountId)
      if (plan === undefined) {
        const known = cache.get(accountId)
        plan = {
          accountId,
          known,
          state: known?.state ?? newAccountState,
          changed: false,
          locked: false,
          indexes: [],
          results: [],
          entries: [],
          records: [],
          keys: new Set(),
          writers: new Set(),
          grants: new Map(),
        }
        plans.set(accountId, plan)
      }
      plan.indexes.push(index)
      if (plan.locked) return
      if (
        operation.holdId !== undefined ||
        operation.refundOf !== undefined ||
        operation.autoTopUpRequestId !== undefined ||
        operation.pendingCreditId !== undefined ||
        operation.opensPendingCredit === true
      ) {
        plan.locked = true
        return
      }
      // A key used earlier in the same batch answers from that use's record.
      const prior =
        idempotencyKey === undefined
          ? undefined
          : plan.records.find(({ record }) => record.key === idempotencyKey)?.record
      const transition = operation.step({ state: plan.state, prior })
      if (!plain(plan.state, transition)) {
        plan.locked = true
        return
      }
      plan.results.push(transition.result)
      if (idempotencyKey !== undefined) plan.keys.add(idempotencyKey)
      if (transition.state !== undefined) {
        plan.state = transition.state
        plan.changed = true
        plan.writers.add(operation.operationId)
      }
      for (const grant of transition.grants ?? []) plan.grants.set(grant.grantId, grant)
      if (transition.entry !== undefined) {
        plan.entries.push({
          entry: transition.entry,
          operationId: operation.operationId,
          keyed: transition.record !== undefined,
        })
      }
      if (transition.record !== undefined && idempotencyKey !== undefined) {
        plan.records.push({ operationId: operation.operationId, record: transition.record })
        plan.writers.add(operation.operationId)
      }
    })
    for (const plan of plans.values()) {
      for (const [position, index] of plan.indexes.entries()) {
        answers[index] = plan.locked ? needsLock : plan.results[position]
      }
    }
    // In account id order, as the locked path locks them: the UPDATE takes its row locks in this order,
    // so two statements over the same accounts wait for each other instead of deadlocking.
    const written = [...plans.values()].filter((plan) => !plan.locked)
    return { plans: written.sort((a, b) => (a.accountId < b.accountId ? -1 : 1)), answers }
  }

  /** The lookup of one account's part, should the statement go unanswered. */
  const attemptOf = (plan: AccountPlan): AccountAttempt => {
    const landmarks: Landmarks = {
      entries: plan.entries
        .filter(({ keyed }) => !keyed)
        .map(({ entry, operationId }) => ({ accountId: plan.accountId, sequence: entry.sequence, operationId })),
      records: plan.records.map(({ operationId, record }) => ({
        accountId: plan.accountId,
        key: record.key,
        operationId,
      })),
      events: [],
      refills: [],
    }
    return {
      indexes: plan.indexes,
      decided: {
        results: plan.results,
        accountIds: [plan.accountId],
        landmarks,
        writers: plan.writers,
        committed: new Map(),
      },
    }
  }

  const shapeOf = (plans: ReadonlyArray<AccountPlan>): Shape => ({
    keys: plans.some((plan) => plan.keys.size > 0),
    // An entry's allocations go with the grants they draw: never dropped, even were the grants unchanged.
    grants: plans.some(
      (plan) => changesGrants(plan) || plan.entries.some(({ entry }) => entry.allocations !== undefined),
    ),
  })

  /** The statement's parameters for `shape`, in `statementText`'s order. */
  const parameters = (plans: ReadonlyArray<AccountPlan>, { keys, grants }: Shape) => {
    const entries = plans.flatMap((plan) => plan.entries)
    const values: Array<unknown> = [
      texts(plans.map((plan) => plan.accountId)),
      int8s(plans.map((plan) => BigInt(expectedOf(plan)))),
      bools(plans.map(writesRow)),
      int8s(plans.map((plan) => BigInt(plan.state.balance))),
      int8s(plans.map((plan) => BigInt(plan.state.sequence))),
      int8s(plans.map((plan) => BigInt(plan.state.overdraftLimit))),
      int8s(plans.map((plan) => BigInt(plan.state.held))),
      int8s(plans.map((plan) => BigInt(plan.state.holdsPlaced))),
    ]
    if (grants) {
      const columns = plans.map((plan) => grantsColumnsOf(plan.accountId, plan.state))
      values.push(
        texts(columns.map((c) => (c.grants === null ? null : JSON.stringify(c.grants)))),
        texts(columns.map((c) => c.grants_due_at)),
      )
    }
    if (keys) {
      const used = plans.flatMap((plan) => [...plan.keys].map((key) => ({ accountId: plan.accountId, key })))
      values.push(texts(used.map((k) => k.accountId)), texts(used.map((k) => k.key)))
    }
    values.push(
      texts(entries.map(({ entry }) => entry.accountId)),
      int8s(entries.map(({ entry }) => BigInt(entry.sequence))),
      texts(entries.map(({ entry }) => entry.kind)),
      texts(entries.map(({ entry }) => entry.decision)),
      int8s(entries.map(({ entry }) => BigInt(entry.requested))),
      int8s(entries.map(({ entry }) => BigInt(entry.amount))),
      int8s(entries.map(({ entry }) => BigInt(entry.balanceAfter))),
      texts(entries.map(({ entry }) => entry.idempotencyKey)),
      texts(entries.map(({ entry }) => entry.reference)),
      int8s(entries.map(({ entry }) => nullableBigInt(entry.holdId))),
      int8s(entries.map(({ entry }) => nullableBigInt(entry.refundOf))),
      texts(entries.map(({ entry }) => entry.reason)),
      texts(entries.map(({ entry }) => entry.actor)),
      bools(entries.map(({ entry }) => entry.overdrawn)),
      texts(entries.map(({ entry }) => JSON.stringify(entry.metadata))),
      texts(entries.map(({ entry }) => entry.createdAt)),
      texts(entries.map(({ operationId }) => operationId)),
      texts(entries.map(({ entry }) => entry.member ?? null)),
    )
    if (grants) {
      values.push(
        texts(entries.map(({ entry }) => (entry.allocations === undefined ? null : JSON.stringify(entry.allocations)))),
      )
    }
    if (keys) {
      const records = plans.flatMap((plan) => plan.records.map((r) => ({ accountId: plan.accountId, ...r })))
      const outcomes = records.map(({ record }) => recordColumns(record.outcome))
      values.push(
        texts(records.map((r) => r.accountId)),
        texts(records.map((r) => r.record.key)),
        texts(records.map((r) => r.record.fingerprint)),
        int8s(outcomes.map((o) => nullableBigInt(o.entry_sequence))),
        texts(outcomes.map((o) => (o.refusal === null ? null : JSON.stringify(o.refusal)))),
        texts(outcomes.map((o) => (o.outcome === null ? null : JSON.stringify(o.outcome)))),
        texts(records.map((r) => r.operationId)),
      )
    }
    if (grants) {
      const changed = plans.flatMap((plan) => [...plan.grants.values()])
      values.push(
        texts(changed.map((g) => g.accountId)),
        int8s(changed.map((g) => BigInt(g.grantId))),
        texts(changed.map((g) => g.status)),
        int8s(changed.map((g) => BigInt(g.amount))),
        int8s(changed.map((g) => BigInt(g.remaining))),
        int8s(changed.map((g) => BigInt(g.expired))),
        int8s(changed.map((g) => BigInt(g.priority))),
        texts(changed.map((g) => g.expiresAt)),
        texts(changed.map((g) => g.createdAt)),
        texts(changed.map((g) => g.updatedAt)),
        texts(changed.map((g) => g.warnedAt)),
      )
    }
    return values
  }

  /** The plan of a lone write (`loneStatementText`), or undefined when the batch needs the arrays. */
  const loneOf = (plans: ReadonlyArray<AccountPlan>, shape: Shape) => {
    const plan = plans[0]!
    return plans.length === 1 &&
      !shape.grants &&
      plan.entries.length <= 1 &&
      plan.records.length <= 1 &&
      plan.keys.size <= 1
      ? plan
      : undefined
  }

  /** The lone write's parameters, in `loneStatementText`'s order. */
  const loneParameters = (plan: AccountPlan, { keys }: Shape) => {
    const { entry, operationId } = plan.entries[0] ?? {}
    const values: Array<unknown> = [
      plan.accountId,
      BigInt(expectedOf(plan)),
      writesRow(plan),
      BigInt(plan.state.balance),
      BigInt(plan.state.sequence),
      BigInt(plan.state.overdraftLimit),
      BigInt(plan.state.held),
      BigInt(plan.state.holdsPlaced),
      entry !== undefined,
      PgTypes.int8(entry === undefined ? null : BigInt(entry.sequence)),
      entry?.kind ?? null,
      entry?.decision ?? null,
      PgTypes.int8(entry === undefined ? null : BigInt(entry.requested)),
      PgTypes.int8(entry === undefined ? null : BigInt(entry.amount)),
      PgTypes.int8(entry === undefined ? null : BigInt(entry.balanceAfter)),
      entry?.idempotencyKey ?? null,
      entry?.reference ?? null,
      PgTypes.int8(nullableBigInt(entry?.holdId ?? null)),
      PgTypes.int8(nullableBigInt(entry?.refundOf ?? null)),
      entry?.reason ?? null,
      entry?.actor ?? null,
      PgTypes.bool(entry?.overdrawn ?? null),
      entry === undefined ? null : JSON.stringify(entry.metadata),
      entry?.createdAt ?? null,
      operationId ?? null,
      entry?.member ?? null,
    ]
    if (keys) {
      const [key] = plan.keys
      const written = plan.records[0]
      const outcome = written === undefined ? undefined : recordColumns(written.record.outcome)
      values.push(
        key,
        written !== undefined,
        written?.record.key ?? null,
        written?.record.fingerprint ?? null,
        PgTypes.int8(nullableBigInt(outcome?.entry_sequence ?? null)),
        outcome === undefined || outcome.refusal === null ? null : JSON.stringify(outcome.refusal),
        outcome === undefined || outcome.outcome === null ? null : JSON.stringify(outcome.outcome),
        written?.operationId ?? null,
      )
    }
    return values
  }

  /**
   * Each operation's answer: its result, `needsLock`, or `decideAgain` (its account moved on and the
   * cache now holds the state the statement saw). Accounts written or checked are cached as written.
   */
  return Effect.fnUntraced(function* (
    operations: ReadonlyArray<Operation>,
    sent: (attempts: ReadonlyArray<AccountAttempt>) => void,
  ) {
    const { plans, answers } = decide(operations)
    if (plans.length === 0) return answers
    const connection = yield* sql.reserve
    sent(plans.map(attemptOf))
    const shape = shapeOf(plans)
    const lone = loneOf(plans, shape)
    const rows: ReadonlyArray<Row> = yield* connection.execute(
      lone === undefined
        ? statementTexts[shapeIndex(shape)]!
        : loneStatementTexts[loneAccountOf(lone)][shape.keys ? 1 : 0]!,
      lone === undefined ? parameters(plans, shape) : loneParameters(lone, shape),
      undefined,
    )
    const byAccount = new Map(rows.map((row) => [row.account_id, row]))
    for (const plan of plans) {
      const row = byAccount.get(plan.accountId)!
      if (row.written) {
        cache.set(plan.accountId, { state: plan.state, version: Number(row.version) })
        continue
      }
      const known = row.version === null ? undefined : knownOf(row as AccountRow)
      if (known === undefined) cache.delete(plan.accountId)
      else cache.set(plan.accountId, known)
      const replayed =
        row.records === null
          ? undefined
          : replays(operations, plan.indexes, known?.state ?? newAccountState, row.records)
      const again = !row.key_used && row.version !== null
      plan.indexes.forEach((index, position) => {
        answers[index] = replayed === undefined ? (again ? decideAgain : needsLock) : replayed[position]
      })
    }
    return answers
  }, Effect.scoped)
}
