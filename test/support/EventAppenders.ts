import { MemoryEventLog, MemoryLedgerStore, MemoryWebhookStore, PgEvents, PgWebhookStore } from "@tally/adapters"
import { EventAppender } from "@tally/domain/testing"
import { Effect, Layer } from "effect"
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

export const pgAppender = Layer.effect(
  EventAppender,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return EventAppender.of({
      append: (events) =>
        PgEvents.append(
          sql,
          events.map((event) => ({ event, operationId: crypto.randomUUID() })),
        ).pipe(sql.withTransaction),
    })
  }),
)

export const pgWithAppender = (url: string) =>
  Layer.mergeAll(pgStore(url), pgAppender.pipe(Layer.provide(pool(url, 2))))

export const pgWebhooksWithAppender = (url: string) =>
  Layer.mergeAll(PgWebhookStore.layer(), pgAppender).pipe(Layer.provide(pool(url, 4)))
