import { Ledger, type Posting, TallyApi } from "@tally/domain"
import * as Effect from "effect/Effect"
import { HttpApiBuilder } from "effect/http-api"
import * as WriteAnswer from "../WriteAnswer.ts"

const written = ({ entry, replayed }: Posting) => ({ entry, balance: entry.balanceAfter, replayed })

/** Refunds and adjustments of an account, over the `Ledger`. */
export const CorrectionsHandlers = HttpApiBuilder.group(
  TallyApi,
  "corrections",
  Effect.fn(function* (handlers) {
    const ledger = yield* Ledger
    return handlers.handleAll({
      refund: ({ params, headers, payload }) =>
        ledger
          .refund({ ...params, ...payload, ...WriteAnswer.idempotencyKeyOf(headers) })
          .pipe(Effect.map(written), WriteAnswer.markReplayedRefusal),
      adjust: ({ params, headers, payload }) =>
        ledger
          .adjust({ accountId: params.accountId, ...payload, ...WriteAnswer.idempotencyKeyOf(headers) })
          .pipe(Effect.map(written), WriteAnswer.markReplayedRefusal),
    })
  }),
)
