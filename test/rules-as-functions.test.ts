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

/** A table's rules: the function, the CHECKs it replaced, its columns in the function's order and their types. */
interface Table {
  readonly name: string
  readonly rules: string
  readonly checks: ReadonlyArray<string>
  readonly columns: ReadonlyArray<readonly [name: string, type: string]>
  readonly valid: Row
  readonly fields: Record<string, fc.Arbitrary<unknown>>
}

const tables: ReadonlyArray<Table> = [
  {
    name: "entries",
    rules: "tally_entry_rules",
    checks: entryChecks,
    columns: [
      ["kind", "text"],
      ["decision", "text"],
      ["requested", "bigint"],
      ["amount", "bigint"],
      ["sequence", "bigint"],
      ["balance_after", "bigint"],
      ["refund_of", "bigint"],
      ["hold_id", "bigint"],
      ["allocations", "jsonb"],
      ["member", "text"],
    ],
    valid: validEntry,
    fields: entryFields,
  },
  {
    name: "accounts",
    rules: "tally_account_rules",
    checks: accountChecks,
    columns: [
      ["account_id", "text"],
      ["balance", "bigint"],
      ["last_sequence", "bigint"],
      ["overdraft_limit", "bigint"],
      ["held", "bigint"],
      ["holds_placed", "bigint"],
      ["version", "bigint"],
      ["members", "jsonb"],
      ["refill", "jsonb"],
      ["auto_top_up", "jsonb"],
      ["grants", "jsonb"],
      ["grants_due_at", "timestamptz"],
      ["refill_due_at", "timestamptz"],
    ],
    valid: validAccount,
    fields: accountFields,
  },
]

describe("the rules of migration 14", () => {
  let admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  beforeAll(async () => {
    admin = ManagedRuntime.make(pool(await createDatabase(), 1))
  })
  afterAll(() => admin?.dispose())

  /** Each row's verdicts, the function's (`now`) and the separate CHECKs' (`before`), in PostgreSQL. */
  const verdicts = (table: Table, rows: ReadonlyArray<Row>) => {
    const names = table.columns.map(([name]) => name).join(", ")
    const arrays = table.columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(", ")
    return admin.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.unsafe<{ now: boolean; before: boolean }>(
          `SELECT ${table.rules}(${names}) IS NOT FALSE AS now, ${separately(table.checks)} AS before
           FROM unnest(${arrays}) AS r(${names})`,
          columns(
            rows,
            table.columns.map(([name]) => name),
          ),
        ),
      ),
    )
  }

  for (const table of tables) {
    test.prop([fc.array(rowsNear(table.valid, table.fields), { minLength: 50, maxLength: 300 })], { numRuns: 100 })(
      `a row of ${table.name} passes ${table.rules} exactly when it passes the separate CHECKs`,
      async (generated) => {
        const found = await verdicts(table, [table.valid, ...generated])
        expect(found[0]).toEqual({ now: true, before: true })
        expect(found.map((row) => row.now)).toEqual(found.map((row) => row.before))
      },
    )
  }
})
