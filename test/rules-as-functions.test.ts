import { PgTypes } from "@effect/sql-pg"
import { fc, test } from "@fast-check/vitest"
import { Effect, ManagedRuntime, Result } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect } from "vitest"
import { createDatabase, pool } from "./support/TestDatabase.ts"

/**
 * Migration 14 put the CHECKs of entries and of accounts into one function per table. Each function
 * must accept exactly the rows the separate CHECKs accepted: here both verdicts are taken in
 * PostgreSQL on generated rows, values at and past every bound, nulls, unknown kinds. A CHECK passes
 * unless its rule is false, so a table's verdict is that no rule is false.
 */
const entryChecks = [
  "sequence >= 1",
  "kind IN ('top-up', 'grant', 'reversal', 'usage', 'refund', 'adjustment', 'expiry')",
  "decision IN ('Applied', 'Clamped')",
  "balance_after BETWEEN -9007199254740991 AND 9007199254740991",
  "amount <> 0 AND sign(amount) = sign(requested) AND abs(amount) <= abs(requested)",
  "(decision = 'Applied') = (amount = requested)",
  "sequence > 1 OR balance_after = amount",
  `CASE kind WHEN 'usage' THEN amount < 0 WHEN 'refund' THEN amount < 0 WHEN 'expiry' THEN amount < 0
   WHEN 'adjustment' THEN true ELSE amount > 0 END`,
  "(kind = 'refund') = (refund_of IS NOT NULL) AND refund_of < sequence",
  "hold_id IS NULL OR kind = 'usage'",
  "kind <> 'expiry' OR allocations IS NOT NULL",
  "jsonb_typeof(allocations) = 'array'",
  "char_length(member) BETWEEN 1 AND 128",
]

const accountChecks = [
  "account_id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'",
  "balance <= 9007199254740991",
  "balance >= -9007199254740991",
  "last_sequence >= 1",
  "overdraft_limit BETWEEN 0 AND 9007199254740991",
  "held BETWEEN 0 AND 9007199254740991",
  "holds_placed >= 0",
  "version >= 1",
  "last_sequence IS NOT NULL OR balance = 0",
  "jsonb_typeof(members) = 'object'",
  "jsonb_typeof(refill) = 'object'",
  "jsonb_typeof(auto_top_up) = 'object'",
  "jsonb_typeof(grants) = 'array'",
  "grants_due_at IS NULL OR grants IS NOT NULL",
  "refill_due_at IS NULL OR refill IS NOT NULL",
]

const separately = (checks: ReadonlyArray<string>) => checks.map((check) => `(${check}) IS NOT FALSE`).join(" AND ")

const bound = 9_007_199_254_740_991n
const credits = fc.option(
  fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.constantFrom(bound, bound + 1n, -bound, -bound - 1n, 100n, -100n)),
)
const small = fc.option(fc.bigInt({ min: -1n, max: 6n }))
const json = fc.option(fc.constantFrom("[]", "{}", "1", '"text"', "null"))
const time = fc.option(fc.constant("2026-01-01T00:00:00Z"))

const entryFields = {
  kind: fc.option(fc.constantFrom("top-up", "grant", "reversal", "usage", "refund", "adjustment", "expiry", "bogus")),
  decision: fc.option(fc.constantFrom("Applied", "Clamped", "Rejected")),
  requested: credits,
  amount: credits,
  sequence: small,
  balance_after: credits,
  refund_of: small,
  hold_id: small,
  allocations: json,
  member: fc.option(fc.constantFrom("", "m", "x".repeat(128), "x".repeat(129))),
}

const accountFields = {
  account_id: fc.option(fc.constantFrom("a", "acct_1.x:y-z", "-leading", "", "a".repeat(128), "a".repeat(129))),
  balance: credits,
  last_sequence: small,
  overdraft_limit: credits,
  held: credits,
  holds_placed: small,
  version: small,
  members: json,
  refill: json,
  auto_top_up: json,
  grants: json,
  grants_due_at: time,
  refill_due_at: time,
}

/**
 * Rows one or two values away from a row every rule accepts, where a single rule decides the verdict,
 * and rows of values drawn alone, where several do.
 */
const rowsNear = (valid: Row, fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Row> => {
  const names = Object.keys(fields)
  const nearby = fc
    .tuple(fc.constantFrom(...names), fc.constantFrom(...names))
    .chain(([first, second]) =>
      fc.tuple(fields[first]!, fields[second]!).map(([one, other]) => ({ ...valid, [first]: one, [second]: other })),
    )
  return fc.oneof(nearby, fc.record(fields))
}

type Row = Readonly<Record<string, unknown>>

/** A row every rule accepts, first in each run: the verdicts are not all "refused". */
const validEntry = {
  kind: "usage",
  decision: "Clamped",
  requested: -5n,
  amount: -3n,
  sequence: 2n,
  balance_after: 7n,
  refund_of: null,
  hold_id: 1n,
  allocations: "[]",
  member: "m",
}
const validAccount = {
  account_id: "acct_1",
  balance: -3n,
  last_sequence: 2n,
  overdraft_limit: 5n,
  held: 1n,
  holds_placed: 1n,
  version: 3n,
  members: "{}",
  refill: "{}",
  auto_top_up: null,
  grants: "[]",
  grants_due_at: "2026-01-01T00:00:00Z",
  refill_due_at: null,
}

/** Each column's values as a text array (the driver cannot type an array of nulls); the query casts them. */
const columns = (rows: ReadonlyArray<Row>, names: ReadonlyArray<string>) =>
  names.map((name) =>
    Result.getOrThrow(
      PgTypes.array(
        rows.map((row) => (row[name] == null ? null : String(row[name]))),
        PgTypes.OID.text,
      ),
    ),
  )

describe("the rules of migration 14", () => {
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    admin = ManagedRuntime.make(pool(await createDatabase(), 1))
  })
  afterAll(() => admin?.dispose())

  const verdicts = (
    query: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<{ now: boolean; before: boolean }>, unknown>,
  ) => admin.runPromise(Effect.flatMap(SqlClient.SqlClient, query))

  test.prop([fc.array(rowsNear(validEntry, entryFields), { minLength: 1, maxLength: 200 })], { numRuns: 30 })(
    "an entry passes the function exactly when it passes the separate CHECKs",
    async (generated) => {
      const rows = [validEntry, ...generated]
      const [kind, decision, requested, amount, sequence, balanceAfter, refundOf, holdId, allocations, member] =
        columns(rows, [
          "kind",
          "decision",
          "requested",
          "amount",
          "sequence",
          "balance_after",
          "refund_of",
          "hold_id",
          "allocations",
          "member",
        ])
      const found = await verdicts(
        (sql) => sql<{ now: boolean; before: boolean }>`
          SELECT tally_entry_rules(kind, decision, requested, amount, sequence, balance_after, refund_of, hold_id,
                                   allocations, member) IS NOT FALSE AS now,
                 ${sql.literal(separately(entryChecks))} AS before
          FROM unnest(${kind}::text[], ${decision}::text[], ${requested}::bigint[], ${amount}::bigint[],
                      ${sequence}::bigint[], ${balanceAfter}::bigint[], ${refundOf}::bigint[], ${holdId}::bigint[],
                      ${allocations}::jsonb[], ${member}::text[])
            AS r(kind, decision, requested, amount, sequence, balance_after, refund_of, hold_id, allocations, member)`,
      )
      expect(found[0]).toEqual({ now: true, before: true })
      expect(found.map((row) => row.now)).toEqual(found.map((row) => row.before))
    },
  )

  test.prop([fc.array(rowsNear(validAccount, accountFields), { minLength: 1, maxLength: 200 })], { numRuns: 30 })(
    "an account passes the function exactly when it passes the separate CHECKs",
    async (generated) => {
      const rows = [validAccount, ...generated]
      const values = columns(rows, [
        "account_id",
        "balance",
        "last_sequence",
        "overdraft_limit",
        "held",
        "holds_placed",
        "version",
        "members",
        "refill",
        "auto_top_up",
        "grants",
        "grants_due_at",
        "refill_due_at",
      ])
      const found = await verdicts(
        (sql) => sql<{ now: boolean; before: boolean }>`
          SELECT tally_account_rules(account_id, balance, last_sequence, overdraft_limit, held, holds_placed, version,
                                     members, refill, auto_top_up, grants, grants_due_at, refill_due_at) IS NOT FALSE AS now,
                 ${sql.literal(separately(accountChecks))} AS before
          FROM unnest(${values[0]}::text[], ${values[1]}::bigint[], ${values[2]}::bigint[], ${values[3]}::bigint[],
                      ${values[4]}::bigint[], ${values[5]}::bigint[], ${values[6]}::bigint[], ${values[7]}::jsonb[],
                      ${values[8]}::jsonb[], ${values[9]}::jsonb[], ${values[10]}::jsonb[], ${values[11]}::timestamptz[],
                      ${values[12]}::timestamptz[])
            AS r(account_id, balance, last_sequence, overdraft_limit, held, holds_placed, version, members, refill,
                 auto_top_up, grants, grants_due_at, refill_due_at)`,
      )
      expect(found[0]).toEqual({ now: true, before: true })
      expect(found.map((row) => row.now)).toEqual(found.map((row) => row.before))
    },
  )
})
