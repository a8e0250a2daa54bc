import type { AccountId, Run, RunsQuery } from "@tally/domain/core"
import * as Effect from "effect/Effect"
import type { SqlClient } from "effect/sql"
import { type EntryRow, entryColumns, entryOf } from "./PgRows.ts"

/** A run's count and sum of one kind, as the statement aggregates them into JSON. */
interface RunKindJson {
  readonly kind: Run["kinds"][number]["kind"]
  readonly entries: number
  readonly amount: string
}

/** A run's columns beside each of its detail entries. */
interface RunRow extends EntryRow {
  readonly run_reference: string
  readonly run_last_sequence: bigint
  readonly run_first_at: Date
  readonly run_last_at: Date
  /** numeric: sums of counts. */
  readonly run_entries: string
  readonly run_total: string
  readonly run_kinds: string | ReadonlyArray<RunKindJson>
}

/**
 * A page of an account's runs in one statement: its referenced entries grouped per run and kind
 * (sums as text, exact past 2^63), the page's runs chosen by their newest sequence, then each run's
 * newest `details + 1` entries (at least one, so every run has a row; the extra one says `more`).
 * `entries_runs` (account, reference, sequence, covering kind, amount and time) serves both the
 * grouping, an index-only scan of the account's referenced entries, and each run's newest entries.
 * A page groups all of the account's referenced entries that match: its cost grows with them, not
 * with the page.
 */
export const readRuns = (
  sql: SqlClient.SqlClient,
  accountId: AccountId,
  { kind, from, to, member, limit, details, beforeSequence }: RunsQuery,
) => {
  const filter = sql`
    ${kind === undefined ? sql`` : sql`AND kind = ${kind}`}
    ${from === undefined ? sql`` : sql`AND created_at >= ${from}::timestamptz`}
    ${to === undefined ? sql`` : sql`AND created_at < ${to}::timestamptz`}
    ${member === undefined ? sql`` : sql`AND member = ${member}`}`
  return sql<RunRow>`
    WITH by_kind AS (
      SELECT reference, kind, count(*) AS entries, sum(amount) AS amount, max(sequence) AS last_sequence,
             min(created_at) AS first_at, max(created_at) AS last_at
      FROM entries
      WHERE account_id = ${accountId} AND reference IS NOT NULL ${filter}
      GROUP BY reference, kind
    ), page AS (
      SELECT reference AS run_reference, max(last_sequence) AS run_last_sequence, min(first_at) AS run_first_at,
             max(last_at) AS run_last_at, sum(entries)::text AS run_entries, sum(amount)::text AS run_total,
             json_agg(json_build_object('kind', kind, 'entries', entries, 'amount', amount::text) ORDER BY kind)
               AS run_kinds
      FROM by_kind
      GROUP BY reference
      HAVING max(last_sequence) < ${BigInt(beforeSequence ?? Number.MAX_SAFE_INTEGER)}
      ORDER BY run_last_sequence DESC
      LIMIT ${limit}
    )
    SELECT page.*, d.*
    FROM page CROSS JOIN LATERAL (
      SELECT ${sql.literal(entryColumns)} FROM entries
      WHERE account_id = ${accountId} AND reference = page.run_reference ${filter}
      ORDER BY sequence DESC
      LIMIT ${details + 1}
    ) d
    ORDER BY page.run_last_sequence DESC, d.sequence DESC`.pipe(Effect.map((rows) => runsOf(rows, details)))
}

const runsOf = (rows: ReadonlyArray<RunRow>, details: number): ReadonlyArray<Run> => {
  const runs: Array<Run> = []
  let current: { readonly row: RunRow; readonly entries: Array<EntryRow> } | undefined
  const finish = () => {
    if (current === undefined) return
    const { row, entries } = current
    const kinds: ReadonlyArray<RunKindJson> =
      typeof row.run_kinds === "string" ? JSON.parse(row.run_kinds) : row.run_kinds
    runs.push({
      reference: row.run_reference,
      total: BigInt(row.run_total),
      entries: Number(row.run_entries),
      kinds: kinds.map((k) => ({ kind: k.kind, entries: Number(k.entries), amount: BigInt(k.amount) })),
      firstAt: row.run_first_at.toISOString(),
      lastAt: row.run_last_at.toISOString(),
      lastSequence: Number(row.run_last_sequence),
      details: entries.slice(0, details).map(entryOf),
      more: entries.length > details,
    })
  }
  for (const row of rows) {
    if (current?.row.run_reference !== row.run_reference) {
      finish()
      current = { row, entries: [] }
    }
    current.entries.push(row)
  }
  finish()
  return runs
}
