import { Ledger, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import { markReplayedRefusal } from "../WriteAnswer.ts"

/** `/v1/accounts/{accountId}/auto-top-up...` and `/v1/auto-top-ups/expire`, over the `Ledger`. */
export const AutoTopUpHandlers = HttpApiBuilder.group(
  TallyApi,
  "autoTopUp",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      autoTopUp: ({ params }) => ledger.autoTopUp(params.accountId),
      configureAutoTopUp: ({ params, payload }) =>
        ledger.configureAutoTopUp({ accountId: params.accountId, ...payload }),
      autoTopUpRequest: ({ params }) => ledger.getAutoTopUpRequest(params),
      completeAutoTopUp: ({ params, payload }) =>
        markReplayedRefusal(ledger.completeAutoTopUp({ ...params, ...payload })),
      failAutoTopUp: ({ params, headers, payload }) =>
        markReplayedRefusal(
          ledger.failAutoTopUp({
            ...params,
            ...payload,
            ...(headers["idempotency-key"] === undefined ? {} : { idempotencyKey: headers["idempotency-key"] }),
          }),
        ),
      expireAutoTopUps: () => ledger.expireAutoTopUps,
    })
  }),
)
