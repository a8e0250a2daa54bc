import type { Effect } from "effect"
import type { SqlClient } from "effect/sql"

/** PostgreSQL's counters of one table (`pg_stat_user_tables`). */
export interface TableCounters {
  readonly relname: string
  readonly seq_tup_read: bigint
  readonly idx_tup_fetch: bigint | null
  readonly n_tup_ins: bigint
}

/** Runs a statement on a database the test holds a client of. */
export type RunSql = <A>(body: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) => Promise<A>

/**
 * The counters of `tables`, once `reported` says they count what the test waits for (a backend
 * reports its counts when idle, at most once a second).
 */
export const countersOnceReported = async (
  sql: RunSql,
  tables: ReadonlyArray<string>,
  reported: (byTable: ReadonlyMap<string, TableCounters>) => boolean,
) => {
  for (;;) {
    const rows = await sql(
      (s) => s<TableCounters>`
        SELECT relname, seq_tup_read, idx_tup_fetch, n_tup_ins FROM pg_stat_user_tables
        WHERE relname IN ${s.in(tables)}`,
    )
    const byTable = new Map(rows.map((row) => [row.relname, row]))
    if (reported(byTable)) return byTable
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/**
 * `rows` more accounts, each with an idempotency record (and, with `holds`, a released hold), as if
 * other processes had written them: the tables grow without the test's connection planning anew.
 */
export const growTables = (sql: RunSql, rows: number, { holds }: { readonly holds: boolean }) =>
  sql(
    (s) => s`
      WITH grown AS (
        INSERT INTO accounts (account_id) SELECT 'grown-' || g FROM generate_series(1, ${rows}) g RETURNING account_id
      )${
        holds
          ? s`, holds AS (
        INSERT INTO holds (account_id, hold_id, status, requested, amount, captured, excess, created_at, resolved_at)
        SELECT account_id, 1, 'released', 1, 1, 0, 0, now(), now() FROM grown
      )`
          : s``
      }
      INSERT INTO idempotency_keys (account_id, idempotency_key, fingerprint, refusal)
      SELECT account_id, 'grown', 'grown', '{}' FROM grown`,
  )
