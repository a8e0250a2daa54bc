import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"

/** `/v1/accounts/{accountId}/refill` and `/v1/refills/run`, over the `Ledger`. */
export const RefillHandlers = HttpApiBuilder.group(
  TallyApi,
  "refills",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      refill: ({ params }) => ledger.refill(params.accountId),
      configureRefill: ({ params, payload }) => ledger.configureRefill({ accountId: params.accountId, ...payload }),
      runDueRefills: () => ledger.runDueRefills,
    })
  }),
)
