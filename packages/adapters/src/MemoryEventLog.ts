import type { LedgerEvent, NewLedgerEvent } from "@tally/domain/core"
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/**
 * The event feed in process memory. Appends happen inside a store's synchronous step, so ids count
 * up in commit order and a reader paging by id never misses one.
 */
export interface EventLog {
  /** Gives each event the next id and keeps it; call it where the change that causes it is persisted. */
  readonly append: (events: ReadonlyArray<NewLedgerEvent>) => ReadonlyArray<LedgerEvent>
  /** Up to `limit` events after the one with id `afterId` (0: from the first); undefined for an unknown id. */
  readonly read: (afterId: number, limit: number) => ReadonlyArray<LedgerEvent> | undefined
  /** The newest event's id (0 when none): where a new consumer starts. */
  readonly head: () => number
}

export const make = (): EventLog => {
  const events: Array<LedgerEvent> = []
  return {
    append: (news) =>
      news.map((event) => {
        const stored = { ...event, id: events.length + 1 } as LedgerEvent
        events.push(stored)
        return stored
      }),
    read: (afterId, limit) => (afterId > events.length ? undefined : events.slice(afterId, afterId + limit)),
    head: () => events.length,
  }
}

/** One event log shared by the stores of a process (the ledger's and the webhooks'). */
export class MemoryEventLog extends Context.Service<MemoryEventLog, EventLog>()("@tally/adapters/MemoryEventLog") {}

export const layer = Layer.sync(MemoryEventLog, make)
