import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"

/** `GET /v1/events`: the feed over the `Ledger`, long-polling up to `wait` seconds. */
export const EventHandlers = HttpApiBuilder.group(
  TallyApi,
  "events",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      events: ({ query }) => ledger.events(query),
    })
  }),
)
