import * as Effect from "effect/Effect"
import { type InvalidRequest, type LedgerUnavailable, validateRequest as validate } from "../LedgerError.ts"
import type { LedgerStore } from "../LedgerStore.ts"
import { type EventPage, EventsRequest, readEvents } from "./EventFeed.ts"

export interface EventOperations {
  /** The event feed after an event id, waiting up to `wait` seconds for one (long-poll). */
  readonly events: (
    request: typeof EventsRequest.Encoded,
  ) => Effect.Effect<EventPage, InvalidRequest | LedgerUnavailable>
}

export const eventOperations = (store: LedgerStore["Service"]): EventOperations => ({
  events: (input) =>
    validate(EventsRequest)(input).pipe(
      Effect.flatMap((request) => readEvents(store, request)),
      Effect.withSpan("Ledger.events"),
    ),
})
