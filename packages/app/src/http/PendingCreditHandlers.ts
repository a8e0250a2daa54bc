import { Ledger, type PendingCreditPosting, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import * as WriteAnswer from "../WriteAnswer.ts"

const creditWritten = ({ pendingCredit, entry, balances, replayed }: PendingCreditPosting) => ({
  pendingCredit,
  entry,
  ...balances,
  replayed,
})

/** An account's pending credits (record, activate, void, read) and `/v1/pending-credits/expire`, over the `Ledger`. */
export const PendingCreditHandlers = HttpApiBuilder.group(
  TallyApi,
  "pendingCredits",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      recordPendingCredit: ({ params, headers, payload }) =>
        ledger
          .recordPendingCredit({ accountId: params.accountId, ...payload, idempotencyKey: headers["idempotency-key"] })
          .pipe(Effect.map(creditWritten), WriteAnswer.markReplayedRefusal),
      pendingCredits: ({ params, query }) => ledger.pendingCredits({ accountId: params.accountId, ...query }),
      getPendingCredit: ({ params }) => ledger.getPendingCredit(params),
      activateCredit: ({ params, headers, payload }) =>
        ledger
          .activateCredit({ ...params, ...payload, ...WriteAnswer.idempotencyKeyOf(headers) })
          .pipe(Effect.map(creditWritten), WriteAnswer.markReplayedRefusal),
      voidCredit: ({ params, headers }) =>
        ledger
          .voidCredit({ ...params, ...WriteAnswer.idempotencyKeyOf(headers) })
          .pipe(Effect.map(creditWritten), WriteAnswer.markReplayedRefusal),
      expirePendingCredits: () => ledger.expirePendingCredits,
    })
  }),
)
