import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"

/** `/v1/accounts/{accountId}/runs`, over the `Ledger`. */
export const RunsHandlers = HttpApiBuilder.group(
  TallyApi,
  "runs",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      runs: ({ params, query }) =>
        ledger
          .runs({ accountId: params.accountId, ...query })
          .pipe(Effect.map((page) => ({ accountId: params.accountId, ...page }))),
    })
  }),
)
