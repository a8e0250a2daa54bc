import { type LedgerEvent, LedgerEvent as LedgerEventSchema, type NewLedgerEvent } from "@tally/domain/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { SqlClient, SqlError } from "effect/sql"

/**
 * The event feed in PostgreSQL (table `events`, migration `4_events`).
 *
 * Why the feed is ordered by writing transaction and not by id alone: an id comes from a sequence
 * when the INSERT runs, not when its transaction commits. A transaction can take id 10, another take
 * id 11 and commit first; a reader paging by id would return 11, move past it, and never see 10 once
 * it commits. So each event also records the id of the transaction that wrote it (`xid8`, assigned
 * in that transaction), and a reader returns only events whose transaction is older than the oldest
 * transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`): every such transaction has
 * ended, so nothing can still appear among them. Filtering alone is not enough while paging by id (a
 * younger transaction may hold the lower id), so the feed is ordered by (transaction id, id): any
 * event that commits later belongs to a transaction at or above that horizon, so it sorts after
 * everything already returned. A long writing transaction anywhere on the server, in any database
 * (transaction ids are the server's), holds the feed back until it ends (Tally's own sessions end idle
 * transactions after 10 s); it never makes a reader skip.
 */

const decodeEvent = Schema.decodeUnknownSync(LedgerEventSchema)

export interface EventRow {
  readonly id: bigint
  readonly type: string
  readonly account_id: string
  readonly data: unknown
  readonly created_at: Date
}

/** What is written is checked when it is read: a row that is not a valid event is a defect. */
export const eventOf = (row: EventRow): LedgerEvent =>
  decodeEvent({
    id: Number(row.id),
    type: row.type,
    accountId: row.account_id,
    createdAt: row.created_at.toISOString(),
    data: row.data,
  })

const eventColumns = "id, type, account_id, data, created_at"

/** An event with the id of the operation whose transaction writes it, which finds it after an unknown commit. */
export interface EventWrite {
  readonly event: NewLedgerEvent
  readonly operationId: string
}

/**
 * Appends events inside the caller's transaction, in the order given: the write path calls it in the
 * transaction of the change that causes them, so they commit with it or not at all. Their ids and
 * transaction id are assigned here, in that transaction.
 */
export const append = (
  sql: SqlClient.SqlClient,
  writes: ReadonlyArray<EventWrite>,
): Effect.Effect<ReadonlyArray<LedgerEvent>, SqlError.SqlError> =>
  writes.length === 0
    ? Effect.succeed([])
    : sql<EventRow>`
        INSERT INTO events (type, account_id, data, created_at, operation_id)
        SELECT e->>'type', e->>'accountId', e->'data', (e->>'createdAt')::timestamptz, (e->>'operationId')::uuid
        FROM jsonb_array_elements(${JSON.stringify(
          writes.map(({ event, operationId }) => ({ ...event, operationId })),
        )}::jsonb) WITH ORDINALITY AS x(e, position)
        ORDER BY position
        RETURNING ${sql.literal(eventColumns)}`.pipe(
        Effect.map((rows) => rows.map(eventOf).sort((a, b) => a.id - b.id)),
      )

/** The feed after the event `afterId` (0: from the start), up to `limit`; undefined when no event has that id. */
export const read = (sql: SqlClient.SqlClient, afterId: number, limit: number) =>
  Effect.gen(function* () {
    let afterTransaction = "0"
    if (afterId > 0) {
      const [cursor] = yield* sql<{ readonly transaction_id: string }>`
        SELECT transaction_id::text AS transaction_id FROM events WHERE id = ${BigInt(afterId)}`
      if (cursor === undefined) return undefined
      afterTransaction = cursor.transaction_id
    }
    const rows = yield* sql<EventRow>`
      SELECT ${sql.literal(eventColumns)} FROM events
      WHERE (transaction_id, id) > (${afterTransaction}::xid8, ${BigInt(afterId)})
        AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY transaction_id, id
      LIMIT ${limit}`
    return rows.map(eventOf)
  })

/** The newest event of the feed a reader can see now (0 when none): where a new consumer starts. */
export const head = (sql: SqlClient.SqlClient) =>
  sql<{ readonly id: bigint }>`
    SELECT id FROM events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id DESC, id DESC LIMIT 1`.pipe(Effect.map(([row]) => (row === undefined ? 0 : Number(row.id))))
