import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"

/** `/v1/accounts/{accountId}/grants`, its expiry, and `/v1/grants/expire`, over the `Ledger`. */
export const GrantHandlers = HttpApiBuilder.group(
  TallyApi,
  "grants",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      grants: ({ params, query }) =>
        ledger
          .grantsListing({ accountId: params.accountId, ...query })
          .pipe(Effect.map((listing) => ({ accountId: params.accountId, ...listing }))),
      expireAccountGrants: ({ params }) => ledger.expireAccountGrants({ accountId: params.accountId }),
      expireGrants: () => ledger.expireGrants,
    })
  }),
)
