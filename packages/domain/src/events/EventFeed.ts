import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidRequest, type LedgerUnavailable } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { Limits } from "../Limits.ts"
import type { LedgerEvent } from "./LedgerEvent.ts"

/**
 * A read of the event feed: the events after the one whose id is `after` (0, the default, is the
 * beginning), at most `limit`, waiting up to `wait` seconds for one to arrive when there is none yet
 * (long-poll; 0, the default, answers at once).
 */
export const EventsRequest = Schema.Struct({
  after: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: Limits.eventsPageSizeMax }))),
  wait: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: Limits.eventsWaitSecondsMax }))),
})
export type EventsRequest = typeof EventsRequest.Type

export interface EventPage {
  readonly events: ReadonlyArray<LedgerEvent>
  /** What to pass as `after` to read on: the last event's id, or the same `after` when none came. */
  readonly next: number
}

/**
 * Reads the feed for a validated request. A waiting read looks again every
 * `Limits.eventsPollIntervalMs` until an event comes or the wait is over: polling reaches events
 * written by any process, with one indexed read per interval. The time comes from `Clock`.
 */
export const readEvents = (
  store: LedgerStore["Service"],
  request: EventsRequest,
): Effect.Effect<EventPage, InvalidRequest | LedgerUnavailable> =>
  Effect.gen(function* () {
    const after = request.after ?? 0
    const limit = request.limit ?? Limits.eventsPageSizeDefault
    const deadlineMs = (yield* Clock.currentTimeMillis) + (request.wait ?? 0) * 1000
    while (true) {
      const events = yield* store.events(after, limit)
      if (events === undefined) {
        return yield* new InvalidRequest({ message: `after: ${after} is not the id of an event` })
      }
      const nowMs = yield* Clock.currentTimeMillis
      const last = events[events.length - 1]
      if (last !== undefined || nowMs >= deadlineMs) return { events, next: last?.id ?? after }
      yield* Effect.sleep(Math.min(Limits.eventsPollIntervalMs, deadlineMs - nowMs))
    }
  })
