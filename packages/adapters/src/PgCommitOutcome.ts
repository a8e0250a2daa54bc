import * as Effect from "effect/Effect"
import type { SqlClient, SqlError } from "effect/sql"
import type { Decided } from "./PgOperation.ts"

/** What the database holds of an attempt whose COMMIT got no answer. */
export type Verdict = "landed" | "not landed" | "inconsistent"

/** How long the lookup waits for the locks of the accounts it checks. */
const lockWaitMs = 2_000

/**
 * Finds out whether an attempt committed, by looking for its landmarks. It first locks the
 * attempt's accounts exactly as a batch does (creating the missing ones, then removing them again),
 * which waits until the attempt's own transaction, if the server still runs it, has ended: what it
 * then reads is final. Every landmark found means the attempt landed; none, that it did not; a
 * transaction commits whole, so anything else is reported, never guessed at.
 */
export const make =
  (
    sql: SqlClient.SqlClient,
    lockBatchAccounts: (
      ids: ReadonlyArray<string>,
    ) => Effect.Effect<{ readonly created: ReadonlyArray<string> }, SqlError.SqlError>,
  ) =>
  (decided: Decided): Effect.Effect<Verdict, SqlError.SqlError> =>
    Effect.gen(function* () {
      const { entries, records, events, refills } = decided.landmarks
      yield* sql`SELECT set_config('lock_timeout', ${`${lockWaitMs}ms`}, true)`
      const { created } = yield* lockBatchAccounts(decided.accountIds)
      const [row] = yield* sql<{ readonly found: bigint }>`
        SELECT (
          SELECT count(*) FROM entries
          JOIN unnest(
            ${entries.map((e) => e.accountId)}::text[],
            ${entries.map((e) => BigInt(e.sequence))}::bigint[],
            ${entries.map((e) => e.operationId)}::uuid[]
          ) AS x(account_id, sequence, operation_id) USING (account_id, sequence, operation_id)
        ) + (
          SELECT count(*) FROM idempotency_keys
          JOIN unnest(
            ${records.map((r) => r.accountId)}::text[],
            ${records.map((r) => r.key)}::text[],
            ${records.map((r) => r.operationId)}::uuid[]
          ) AS x(account_id, idempotency_key, operation_id) USING (account_id, idempotency_key, operation_id)
        ) + (
          SELECT count(DISTINCT operation_id) FROM events
          WHERE operation_id = ANY(${events.map((e) => e.operationId)}::uuid[])
        ) + (
          SELECT count(*) FROM refills
          JOIN unnest(
            ${refills.map((r) => r.accountId)}::text[],
            ${refills.map((r) => r.periodStart)}::timestamptz[],
            ${refills.map((r) => r.operationId)}::uuid[]
          ) AS x(account_id, period_start, operation_id) USING (account_id, period_start, operation_id)
        ) AS found`
      if (created.length > 0) yield* sql`DELETE FROM accounts WHERE account_id = ANY(${created}::text[])`
      const found = Number(row?.found ?? 0)
      const expected = entries.length + records.length + events.length + refills.length
      return found === 0 ? "not landed" : found === expected ? "landed" : "inconsistent"
    }).pipe(sql.withTransaction)
