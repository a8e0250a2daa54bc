import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import * as Schema from "effect/Schema"
import { Authorization, readErrors, withExample } from "../api/ApiSupport.ts"
import * as Examples from "../TallyApiExamples.ts"
import { EventsRequest } from "./EventFeed.ts"
import { LedgerEvent } from "./LedgerEvent.ts"

export const EventsResponse = withExample(
  Schema.Struct({
    events: Schema.Array(LedgerEvent),
    /** Pass it as `after` to read on. */
    next: Schema.Int,
  }),
  Examples.events,
)

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("events", "/events", {
      query: { after: EventsRequest.fields.after, limit: EventsRequest.fields.limit, wait: EventsRequest.fields.wait },
      success: EventsResponse,
      error: readErrors,
    }).annotateMerge(
      OpenApi.annotations({
        summary: "The event feed after an event id, oldest first; wait= seconds long-polls for the next event",
        description:
          "Every event once, in commit order: an event written by a transaction that commits late comes after those already read, never skipped. Pass the answer's next as after to read on.",
      }),
    ),
  )
  .middleware(Authorization)
  .prefix("/v1")
  .annotateMerge(OpenApi.annotations({ title: "Events", description: "The feed of what happened to accounts" })) {}
