import { MemoryEventLog, MemoryLedgerStore, MemoryWebhookStore, PgEvents, PgWebhookStore } from "@tally/adapters"
import { AccountEvents, accountId, balance, type LedgerEvent, threshold } from "@tally/domain"
import { EventAppender } from "@tally/domain/testing"
import { Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { pgStore, pool } from "./TestDatabase.ts"

/**
 * Stores with an `EventAppender` that writes to their feed the way the write path will: in memory
 * through the process's event log, in PostgreSQL inside a transaction of its own.
 */

const memoryAppender = Layer.effect(
  EventAppender,
  Effect.gen(function* () {
    const log = yield* MemoryEventLog.MemoryEventLog
    return EventAppender.of({ append: (events) => Effect.sync(() => log.append(events)) })
  }),
)

export const memoryWithAppender = Layer.mergeAll(MemoryLedgerStore.layer, memoryAppender).pipe(
  Layer.provide(MemoryEventLog.layer),
)

export const memoryWebhooksWithAppender = Layer.mergeAll(MemoryWebhookStore.layer, memoryAppender).pipe(
  Layer.provide(MemoryEventLog.layer),
)

/**
 * Appends events in a transaction of its own, then waits until readers see them. The feed shows a
 * transaction's events once every older transaction on the server has ended, in any database, and the
 * other test files keep the shared server busy: without the wait a test would race them.
 */
export const appendVisible = (events: Parameters<typeof PgEvents.append>[1]) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const appended = yield* PgEvents.append(sql, events).pipe(sql.withTransaction)
    const last = appended[appended.length - 1]
    if (last !== undefined) yield* visible(last)
    return appended
  })

const visible = (event: LedgerEvent) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ readonly visible: boolean }>`
      SELECT transaction_id < pg_snapshot_xmin(pg_current_snapshot()) AS visible FROM events WHERE id = ${BigInt(event.id)}`,
  ).pipe(
    Effect.flatMap(([row]) => (row?.visible === true ? Effect.void : Effect.fail("not yet visible" as const))),
    Effect.retry({ schedule: Schedule.spaced("20 millis").pipe(Schedule.upTo({ duration: "60 seconds" })) }),
    Effect.orDie,
  )

export const pgAppender = Layer.effect(
  EventAppender,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return EventAppender.of({
      append: (events) =>
        appendVisible(events.map((event) => ({ event, operationId: crypto.randomUUID() }))).pipe(
          Effect.provideService(SqlClient.SqlClient, sql),
        ),
    })
  }),
)

export const pgWithAppender = (url: string) =>
  Layer.mergeAll(pgStore(url), pgAppender.pipe(Layer.provide(pool(url, 2))))

export const pgWebhooksWithAppender = (url: string) =>
  Layer.mergeAll(PgWebhookStore.layer(), pgAppender).pipe(Layer.provide(pool(url, 4)))

/**
 * `count` `balance.low` events at a time on accounts `<prefix>-0`, `<prefix>-1`..., appended to the
 * database `databaseUrl()` names (a test file's, known once its set-up ran) as the write path does, and
 * visible when the promise resolves.
 */
export const balanceLowAppender = (databaseUrl: () => string, prefix: string) => {
  let appended = 0
  return (count: number) =>
    Effect.runPromise(
      appendVisible(
        Array.from({ length: count }, () => {
          const n = appended++
          return {
            event: AccountEvents.balanceLow(accountId(`${prefix}-${n}`), new Date().toISOString(), {
              threshold: threshold(100),
              availableBefore: balance(100),
              availableAfter: balance(99 - n),
              entrySequence: n + 1,
              holdId: null,
            }),
            operationId: crypto.randomUUID(),
          }
        }),
      ).pipe(Effect.provide(pool(databaseUrl(), 1))),
    )
}
