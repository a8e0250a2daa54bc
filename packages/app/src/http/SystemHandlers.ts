import { TallyApi, Unhealthy } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import { Database } from "../Storage.ts"

/** `/health`: whether the database answers. */
export const SystemHandlers = HttpApiBuilder.group(
  TallyApi,
  "system",
  Effect.fn(function* (handlers) {
    const database = yield* Database
    return handlers.handleAll({
      health: () =>
        database.ping.pipe(
          Effect.as({ status: "ok" as const, storage: database.storage, database: "up" as const }),
          Effect.catchCause(() =>
            Effect.fail(
              new Unhealthy({ message: "the database does not answer", storage: database.storage, database: "down" }),
            ),
          ),
        ),
    })
  }),
)
