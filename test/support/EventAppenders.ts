import { MemoryEventLog, MemoryLedgerStore, PgEvents } from "@tally/adapters"
import { EventAppender } from "@tally/domain/testing"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { pgStore, pool } from "./TestDatabase.ts"

/**
 * Stores with an `EventAppender` that writes to their feed the way the write path will: in memory
 * through the process's event log, in PostgreSQL inside a transaction of its own.
 */

export const memoryWithAppender = Layer.mergeAll(
  MemoryLedgerStore.layer,
  Layer.effect(
    EventAppender,
    Effect.gen(function* () {
      const log = yield* MemoryEventLog.MemoryEventLog
      return EventAppender.of({ append: (events) => Effect.sync(() => log.append(events)) })
    }),
  ),
).pipe(Layer.provide(MemoryEventLog.layer))

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
