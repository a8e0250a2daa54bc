import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"

/** `/v1/accounts/{accountId}/member-limits`, over the `Ledger`. */
export const WalletHandlers = HttpApiBuilder.group(
  TallyApi,
  "wallets",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      memberLimits: ({ params }) => ledger.memberLimits(params.accountId),
      setMemberLimits: ({ params, payload }) => ledger.setMemberLimits({ accountId: params.accountId, ...payload }),
      removeMemberLimits: ({ params }) => ledger.removeMemberLimits(params.accountId),
    })
  }),
)
