import { Ledger, TallyApi } from "@tally/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"

/** `/v1/accounts/{accountId}/grants`, its expiry, and `/v1/grants/expire`, over the `Ledger`. */
export const GrantHandlers = HttpApiBuilder.group(
  TallyApi,
  "grants",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      grants: ({ params, query }) =>
        Effect.all([
          ledger.grants({ accountId: params.accountId, ...query }),
          ledger.grantsExpiringNext(params.accountId),
        ]).pipe(Effect.map(([page, expiresNext]) => ({ accountId: params.accountId, ...page, expiresNext }))),
      expireAccountGrants: ({ params }) => ledger.expireAccountGrants({ accountId: params.accountId }),
      expireGrants: () => ledger.expireGrants,
    })
  }),
)
