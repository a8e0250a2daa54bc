import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import { stopping } from "../Stopping.ts"

/**
 * `GET /v1/events`: the feed over the `Ledger`, long-polling up to `wait` seconds. A wait still
 * running when the process is asked to stop ends there, answered as a wait that found nothing.
 */
export const EventHandlers = HttpApiBuilder.group(
  TallyApi,
  "events",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    const stopped = (after: number | undefined) => stopping.pipe(Effect.as({ events: [], next: after ?? 0 }))
    return handlers.handleAll({
      events: ({ query }) =>
        query.wait === undefined || query.wait === 0
          ? ledger.events(query)
          : Effect.raceFirst(ledger.events(query), stopped(query.after)),
    })
  }),
)
